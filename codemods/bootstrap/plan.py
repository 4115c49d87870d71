"""What the E rewrite does to one site; the recogniser decides, `bootstrap_rewrite` applies."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class EnginePlan:
    """`create_engine(url, ...)` → `create_async_engine(<async url>, ...)`.

    `literal` is the converted URL when it is a string literal; otherwise the URL expression is
    wrapped in `async_database_url(...)`. `pool` is a `poolclass=QueuePool` argument to replace.
    """

    call: cst.Call
    url: cst.Arg
    literal: str | None
    pool: cst.Arg | None


@dataclass(frozen=True)
class MissingGetDb:
    """The module `get-db` names defines the session factory but no `get_db`: one is added after it."""

    after: cst.CSTNode
    name: str
    factory: str


@dataclass(frozen=True)
class SessionmakerPlan:
    call: cst.Call
    get_db: MissingGetDb | None


@dataclass(frozen=True)
class DeclarativePlan:
    """`Name = declarative_base(metadata=..., cls=Mixin)` → `class Name(Mixin, DeclarativeBase): metadata = ...`."""

    statement: cst.SimpleStatementLine
    name: str
    attributes: tuple[cst.Arg, ...]
    mixins: tuple[cst.BaseExpression, ...]


@dataclass(frozen=True)
class CreateAllPlan:
    """`<metadata>.create_all(engine, **options)` as a statement → `await conn.run_sync(<metadata>.create_all, ...)`
    inside `async with engine.begin() as conn:` (adjacent statements on one engine share the block)."""

    statement: cst.SimpleStatementLine
    engine: str
    method: str
    options: tuple[cst.Arg, ...]
    connection: str


@dataclass(frozen=True)
class SyncSessionFrom:
    """`SessionLocal(...)` in a sync generator dependency that stays sync while E102 makes the factory async:
    `sync_session_from(SessionLocal, ...)`, a sync Session on the sync twin of the factory's engine."""

    call: cst.Call
