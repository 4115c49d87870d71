"""What the R plan is made of: the asyncpg call sites, the units they are converted in, their SQL, and the
file's plan."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ..core.receivers import Evidence
from ..core.session_sources import Source
from .rows import Flow, HelperUse
from .sql import BoundSql


QUERY_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany"})
NEVER_HALF = "a function is never half converted"


@dataclass
class Site:
    """One reported asyncpg use."""

    code: str
    call: cst.Call
    message: str
    evidence: Evidence | None = None


@dataclass
class TextSql:
    bound: BoundSql


@dataclass
class DriverSql:
    """SQL that runs unchanged through `exec_driver_sql` (asyncpg's `$n` is the dialect's own paramstyle)."""

    why: str


@dataclass
class Query:
    site: Site
    awaited: cst.Await | cst.Call   # or the loop driver's call that F110 turns into the await
    method: str
    sql: TextSql | DriverSql
    arguments: list[cst.BaseExpression]
    flow: Flow
    # executemany: the rows argument, and whether it may be empty (SQLAlchemy refuses an empty list)
    rows: cst.BaseExpression | None = None
    row_names: tuple[str, ...] = ()
    may_be_empty: bool = False


@dataclass
class Unit:
    """One session scope the rewrite opens: an acquire block or a statement using the pool directly."""

    function: cst.FunctionDef
    queries: list[Query]
    sites: list[Site]
    session: str = "db"


@dataclass
class AcquireUnit(Unit):
    block: cst.With | None = None
    # `async with conn.transaction():` blocks -> nested?
    transactions: dict[int, bool] = field(default_factory=dict)
    # statements outside any transaction: each autocommits, so each gets `async with db.begin():`
    autocommit: list[cst.SimpleStatementLine] = field(default_factory=list)
    whole_block_commits: bool = False


@dataclass
class StatementUnit(Unit):
    statement: cst.SimpleStatementLine | None = None


@dataclass
class HelperPlan:
    """A helper the rewrite changes, applied only when every function whose rows reach it is converted."""

    use: HelperUse
    reaching: set[int]


@dataclass
class FilePlan:
    factory: Source | None
    units: list[Unit] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    unit_of: dict[int, Unit] = field(default_factory=dict)
    helpers: list[HelperPlan] = field(default_factory=list)


class Unconvertible(Exception):
    pass
