"""What a receiver can be: the SQLAlchemy, Flask-SQLAlchemy and asyncpg names that tell, and the evidence record
(`Evidence`) that says which kind and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass


SYNC_SESSION_TYPES = frozenset(
    {"sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", "sqlalchemy.orm.scoped_session",
     "sqlalchemy.orm.scoping.scoped_session", "sqlmodel.Session", "sqlmodel.orm.session.Session"}
)
ASYNC_SESSION_TYPES = frozenset(
    {"sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy.ext.asyncio.session.AsyncSession",
     "sqlalchemy.ext.asyncio.async_scoped_session", "sqlmodel.ext.asyncio.session.AsyncSession"}
)
SYNC_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker",
                            "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"})
ASYNC_FACTORIES = frozenset({"sqlalchemy.ext.asyncio.async_sessionmaker",
                             "sqlalchemy.ext.asyncio.session.async_sessionmaker"})
ASYNCPG_POOL_TYPES = frozenset({"asyncpg.Pool", "asyncpg.pool.Pool"})
ASYNCPG_CONNECTION_TYPES = frozenset(
    {"asyncpg.Connection", "asyncpg.connection.Connection", "asyncpg.pool.PoolConnectionProxy"}
)
# Calls into these libraries never produce a database session, whatever the variable is called.
FOREIGN_LIBRARIES = frozenset(
    {"requests", "httpx", "aiohttp", "urllib3", "elasticsearch", "opensearchpy", "boto3", "botocore",
     "redis", "pymongo", "motor", "gql", "graphene", "strawberry", "django", "json", "re",
     "collections", "sqlite3", "psycopg2", "pymysql"}
)
FOREIGN_BUILTINS = frozenset({"dict", "list", "set", "tuple", "str", "int", "open", "object"})
TYPE_WRAPPERS = frozenset({"Optional", "Annotated", "Union"})


class Kind(enum.Enum):
    SYNC_SESSION = "sync session"
    ASYNC_SESSION = "async session"
    ASYNCPG_POOL = "asyncpg pool"
    ASYNCPG_CONNECTION = "asyncpg connection"


# A session a framework owns and that has no async counterpart: the async target never awaits it.
FLASK_SQLALCHEMY_SESSION = (
    "Flask-SQLAlchemy's `db.session` is a sync scoped session with no AsyncSession: migrate with `--target sync` "
    "now (2.0-style `select()` on `db.session`), and to AsyncSession once the app runs on an async framework")


SYNC_SESSION_FROM = frozenset({"sqlasync.compat.sync_session_from", "sqlasync.compat.sync_twin.sync_session_from"})
OBJECT_SESSION = frozenset({"sqlalchemy.orm.object_session", "sqlalchemy.orm.session.object_session",
                            "sqlalchemy.orm.Session.object_session", "sqlalchemy.orm.session.Session.object_session"})
OBJECT_SESSION_REASON = ("`object_session()` gives the sync Session an object belongs to, even one an AsyncSession "
                         "holds: its I/O stays sync (it runs where SQLAlchemy calls sync code, in an ORM event "
                         "listener during a flush; `async_object_session()` gives the AsyncSession)")
SYNC_TWIN_SESSION = ("it is compat's `sync_session_from()`, a sync Session on the sync twin of the engine, kept by code "
                     "that stays sync (E105): its I/O stays sync")


def scoped_registry_reason(registry: str) -> str:
    """Why a session from the `scoped_session` registry `registry` stays sync (E102 leaves the registry)."""
    return (f"it comes from the `scoped_session` registry `{registry}`, which stays sync (E102 leaves "
            "`scoped_session` as it is), and so does the sync code that shares it (e.g. factory_boy's "
            "`sqlalchemy_session`); async code gets it as an AsyncSession through `compat.adopt_session()` (D105)")


@dataclass(frozen=True)
class Evidence:
    kind: Kind
    detail: str
    name_only: bool = False
    # Why the async target must leave this session sync (a framework's own session), if it must.
    stays_sync: str | None = None

    @property
    def is_session(self) -> bool:
        return self.kind in (Kind.SYNC_SESSION, Kind.ASYNC_SESSION)

    @property
    def is_asyncpg(self) -> bool:
        return self.kind in (Kind.ASYNCPG_POOL, Kind.ASYNCPG_CONNECTION)

    def describe(self) -> str:
        if self.name_only:
            return f"{self.detail}; evidence is only the name"
        return self.detail


class _Negative:
    """A binding that proves the receiver is something else (e.g. `requests.Session()`)."""


NEGATIVE = _Negative()
