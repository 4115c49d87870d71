"""The text of the module `sqlasync init` writes (tests import the written file for real)."""

from __future__ import annotations

from sqlasync.codemods.bootstrap.async_url import SOURCE as ASYNC_URL_SOURCE

TEMPLATE = '''\
"""Database access: the async engine, sessions for request handlers, schema and health helpers.

Configured from the environment when this module is imported:

    DATABASE_URL           sqlite:///./app.db (default), postgresql://..., mysql://...; a sync spelling
                           gets its async driver (aiosqlite, asyncpg, aiomysql)
    DATABASE_POOL_SIZE     connections kept open (default 5)
    DATABASE_MAX_OVERFLOW  extra connections under load (default 10)
    DATABASE_POOL_TIMEOUT  seconds to wait for a free connection (default 30)
    DATABASE_POOL_RECYCLE  seconds before a connection is renewed (default 3600)
    SQL_ECHO               "true" logs every statement (default false)

The pool settings apply to PostgreSQL and MySQL. SQLite needs no pool: a file database opens a
connection per use, an in-memory one shares its single connection.

Written by `sqlasync init`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool, StaticPool


{async_database_url}
def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _engine_options(url: URL) -> dict[str, Any]:
    options: dict[str, Any] = {{"echo": _env_flag("SQL_ECHO"), "pool_pre_ping": True}}
    if url.get_backend_name() == "sqlite":
        # An in-memory database lives as long as its connection, so every session must share that one;
        # a file needs no pool, and without one no connection outlives the event loop that opened it.
        in_memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
        options["poolclass"] = StaticPool if in_memory else NullPool
        return options
    options.update(
        pool_size=_env_int("DATABASE_POOL_SIZE", 5),
        max_overflow=_env_int("DATABASE_MAX_OVERFLOW", 10),
        pool_timeout=_env_int("DATABASE_POOL_TIMEOUT", 30),
        pool_recycle=_env_int("DATABASE_POOL_RECYCLE", 3600),
    )
    return options


DATABASE_URL = async_database_url(os.environ.get("DATABASE_URL", "sqlite:///./app.db"))

engine = create_async_engine(DATABASE_URL, **_engine_options(DATABASE_URL))
# Objects stay readable after commit (no implicit reload, which would be I/O outside an await).
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class Base(AsyncAttrs, DeclarativeBase):
    """Base class of the models; `await obj.awaitable_attrs.<relationship>` loads a relationship."""


async def get_db() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session per request, committed on success, rolled back on error, always closed."""
    async with SessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


async def init_db() -> None:
    """Create the tables of every model imported so far (projects that use Alembic run migrations instead)."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def close_db() -> None:
    """Close every pooled connection (application shutdown)."""
    await engine.dispose()


async def check_db_connection() -> bool:
    """Whether the database answers `SELECT 1` (for health checks, which must answer, not raise)."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def get_db_info() -> dict[str, Any]:
    """What the engine talks to (password hidden) and how its pool is doing."""
    return {{
        "url": DATABASE_URL.render_as_string(hide_password=True),
        "dialect": engine.dialect.name,
        "driver": engine.dialect.driver,
        "pool": type(engine.pool).__name__,
        "pool_status": engine.pool.status(),
    }}
'''


def render() -> str:
    return TEMPLATE.format(async_database_url=ASYNC_URL_SOURCE + "\n")
