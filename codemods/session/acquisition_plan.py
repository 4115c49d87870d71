"""What the D rewrite does to one site; the recogniser decides, `acquisition_rewrite` applies."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .scope import Binding
from ..core.session_sources import Source

# A `with SessionLocal() as db:` block under the sync target: it closes its session already.
CORRECT_AS_IS = object()


@dataclass(frozen=True)
class Opener:
    """The context manager that will own the session.

    `call` as written (`SessionLocal()`; `Session(engine)` becomes `AsyncSession(engine)` when `rename`),
    the configured or imported session `factory` called with no arguments, or, for `next(get_db())`,
    `call` is `get_db()` and the dependency itself is entered (`asynccontextmanager(get_db)()`).
    """

    call: cst.Call
    factory: Source | None = None
    rename: bool = False
    context: bool = False


@dataclass(frozen=True)
class ToParameter:
    """Route handler: the binding goes, the handler takes `name: AsyncSession = Depends(get_db)`."""

    binding: Binding
    get_db: Source


@dataclass(frozen=True)
class ToBlock:
    """`async with <opener> as name:` from the binding down to `last` (None: nothing uses the session)."""

    binding: Binding
    last: cst.BaseStatement | None
    opener: Opener


@dataclass(frozen=True)
class ToAsyncWith:
    """`with SessionLocal() as db:` becomes `async with`."""

    statement: cst.With
    rename: bool


@dataclass(frozen=True)
class Unregister:
    """The `register_factory("db_session", ...)` statement goes; `note` is left in its place as a comment."""

    statement: cst.SimpleStatementLine
    note: str
