"""The rules of family S and the session methods they know: which do I/O, which only a sync Session has, and
the async twins of sync session types."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..core.rule import Rule


SYNC_IO = Rule(
    code="S101",
    name="sync-session-io",
    family="session",
    summary="Session I/O call (`commit`, `execute`, `refresh`, ...) that is not awaited",
    why=(
        "On an `AsyncSession` these methods are coroutines: called without `await` they do nothing and "
        "Python only warns that a coroutine was never awaited. Each call must be awaited, which makes the "
        "enclosing function async in turn. `add`, `add_all`, `expunge` and `expire` do no I/O and stay as they are."
    ),
    before="async def save(db, job):\n    db.add(job)\n    db.commit()\n    db.refresh(job)\n",
    after="async def save(db, job):\n    db.add(job)\n    await db.commit()\n    await db.refresh(job)\n",
    fixable=True,
    fix_notes=(
        "`commit`, `rollback`, `flush`, `refresh`, `delete`, `execute`, `scalar`, `scalars`, `get`, `get_one`, "
        "`merge`, `close`, `connection`, `stream` and `run_sync` calls are awaited, in parentheses where the "
        "result is used at once (`(await db.execute(stmt)).scalars()`). An await is written inside any `def` "
        "except properties, special methods (`__init__`, ...), Celery tasks, lambdas, generator expressions, "
        "class bodies and module level, which stay as they are with the reason; the async-coloring pass then "
        "makes each function holding an await `async def` and awaits its callers. Un-awaited I/O on a session "
        "that is already an `AsyncSession` is reported and awaited too, except where the coroutine is handed "
        "to something that awaits it (`asyncio.gather`, `create_task`, ...) or returned by a function that "
        "stays sync. Sessions that stay sync whatever the run does keep their I/O as it is, with the reason: "
        "`object_session(obj)` (an ORM event listener's: the sync Session the object belongs to, even under an "
        "AsyncSession), compat's `sync_session_from(...)`, and one entered from this module's `@contextmanager` "
        "that yields such a session (E105). "
        "`tx.commit()` / `tx.rollback()` on a `with db.begin() as tx:` transaction are awaited with S103. "
        "`--target sync` leaves these calls alone."
    ),
)
SYNC_ANNOTATION = Rule(
    code="S102",
    name="sync-session-annotation",
    family="session",
    summary="`Session` type annotation (sqlalchemy.orm.Session)",
    why=(
        "A parameter or variable annotated with the sync `Session` tells readers and type checkers the wrong "
        "thing once the session is async, and FastAPI dependencies typed `Session` keep the sync path alive."
    ),
    before="from sqlalchemy.orm import Session\n\n\nasync def list_jobs(db: Session = Depends(get_db)): ...\n",
    after="from sqlalchemy.ext.asyncio import AsyncSession\n\n\nasync def list_jobs(db: AsyncSession = Depends(get_db)): ...\n",
    fixable=True,
    fix_notes=(
        "`Session` becomes `AsyncSession` (imported from `sqlalchemy.ext.asyncio`; SQLModel's `Session` becomes "
        "`sqlmodel.ext.asyncio.session.AsyncSession`), `scoped_session` becomes `async_scoped_session`, inside "
        "`Optional[...]`, `X | None`, `Annotated[...]` aliases and string annotations alike. The `Session` import "
        "is removed once nothing uses it. `--target sync` keeps `Session`. An annotation inside a function that "
        "keeps sync session I/O (S101/S103 left, e.g. in a sync `__init__` or around SQL built at run time), or whose "
        "parameter still calls `query()` or a bulk helper another family leaves (in an ORM event listener, say), "
        "stays `Session`, with that reason; so does every annotation in an Alembic revision, which runs "
        "synchronously (F107): the function goes on using the session synchronously. A function that stays sync "
        "keeps `Session` too when a caller that keeps its sync session I/O (F107) hands it that session; when other "
        "callers hand it a session as well, it takes either: `AsyncSession | Session`."
    ),
)
SYNC_BEGIN = Rule(
    code="S103",
    name="sync-session-begin",
    family="session",
    summary="`with session.begin():` / `begin_nested()` transaction block, or `with session:`",
    why="`AsyncSession.begin()` returns an async context manager, and an AsyncSession itself is one: a plain "
        "`with` fails at runtime.",
    before="async def transfer(db, job):\n    with db.begin():\n        db.add(job)\n",
    after="async def transfer(db, job):\n    async with db.begin():\n        db.add(job)\n",
    fixable=True,
    fix_notes="The block becomes `async with`, wherever S101 could write an await. `with db as session:` on a "
              "session someone else opened (a dependency's) becomes `async with db as session:` too.",
)

IO_METHODS = frozenset(
    {"commit", "rollback", "flush", "refresh", "delete", "execute", "get", "merge", "scalar", "scalars",
     "close", "stream", "connection", "get_one", "run_sync"}
)
# Method names common outside SQLAlchemy: name-only evidence is not enough for these.
GENERIC_METHODS = frozenset({"get", "execute", "delete", "close", "scalar", "scalars", "stream", "connection",
                             "merge", "refresh", "run_sync"})
# The Query API and the bulk helpers: only the sync Session has them (another family converts each use, or
# leaves it with its reason, and then the session under it stays sync).
SYNC_ONLY_SESSION_METHODS = frozenset({"query", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"})
SYNC_TARGET = {
    "S101": "`--target sync` keeps the sync Session, whose I/O is not awaited",
    "S102": "`--target sync` keeps the sync `Session` type",
    "S103": "`--target sync` keeps the sync `with session.begin():` block",
}
SQL_METHODS = frozenset({"execute", "scalar", "scalars", "stream"})
DYNAMIC_SQL_REASON = "the SQL text is built at run time (see X101); bind its values as parameters, then migrate"
# Callables that take a coroutine and await it (or schedule it) themselves.
COROUTINE_CONSUMERS = frozenset({"gather", "create_task", "ensure_future", "wait_for", "shield", "run",
                                 "run_until_complete", "wait", "as_completed", "run_coroutine_threadsafe"})
TRANSACTION_METHODS = frozenset({"commit", "rollback", "close"})
# The async twin of each sync session type: (module, name).
ASYNC_TWINS = {
    "sqlalchemy.orm.Session": ("sqlalchemy.ext.asyncio", "AsyncSession"),
    "sqlalchemy.orm.session.Session": ("sqlalchemy.ext.asyncio", "AsyncSession"),
    "sqlalchemy.orm.scoped_session": ("sqlalchemy.ext.asyncio", "async_scoped_session"),
    "sqlalchemy.orm.scoping.scoped_session": ("sqlalchemy.ext.asyncio", "async_scoped_session"),
    "sqlmodel.Session": ("sqlmodel.ext.asyncio.session", "AsyncSession"),
    "sqlmodel.orm.session.Session": ("sqlmodel.ext.asyncio.session", "AsyncSession"),
}
EQUIVALENTS = {
    ("sqlalchemy.ext.asyncio", "AsyncSession"): ("sqlalchemy.ext.asyncio.session.AsyncSession",),
    ("sqlalchemy.ext.asyncio", "async_scoped_session"): ("sqlalchemy.ext.asyncio.scoping.async_scoped_session",),
    ("sqlmodel.ext.asyncio.session", "AsyncSession"): (),
}
DEFAULT_TWIN = ("sqlalchemy.ext.asyncio", "AsyncSession")


@dataclass(frozen=True)
class AnnotationSite:
    """The parts of one annotation that name a sync session type (string annotations: the string itself)."""

    parts: tuple[cst.BaseExpression, ...]
    twins: tuple[tuple[str, str], ...]
    string: cst.SimpleString | None = None
    # `AsyncSession | Session`: a function that stays sync, handed a sync Session by some callers.
    either: bool = False
