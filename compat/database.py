"""One configuration for the whole mixed application.

``configure(DATABASE_URL, pool_size=5, ...)`` builds the async engine and its
``async_sessionmaker`` and registers them as the process default.  Everything
else in compat hangs off that one object: the bridge and the asyncpg facade use
the async engine's pool; the legacy sync entry points (``SessionLocal``, sync
``get_db``, ``Container.resolve("db_session")``) use a sync *twin* engine built
lazily from the same URL (sync driver) and the same pool settings, because code
running outside the event loop cannot use an async driver.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool, QueuePool

from .urls import DatabaseURLError, detect_driver, to_async_url, to_sync_url

if TYPE_CHECKING:
    from .asyncpg_pool import LegacyAsyncpgPool

__all__ = ["Database", "NotConfiguredError", "configure", "get_database"]

# Engine options that mean the same thing for the sync twin; driver-specific
# ones (connect_args, creator, async_creator) do not carry over.
_SHARED_ENGINE_OPTIONS = frozenset(
    {
        "echo",
        "echo_pool",
        "hide_parameters",
        "isolation_level",
        "json_deserializer",
        "json_serializer",
        "logging_name",
        "max_overflow",
        "pool_logging_name",
        "pool_pre_ping",
        "pool_recycle",
        "pool_reset_on_return",
        "pool_size",
        "pool_timeout",
        "pool_use_lifo",
        "poolclass",
    }
)

_SYNC_POOL_CLASSES = {AsyncAdaptedQueuePool: QueuePool}


class NotConfiguredError(RuntimeError):
    """A compat entry point needed the database before ``configure()`` was called."""


class Database:
    """The async engine, its session factory and the lazily built sync twin."""

    def __init__(
        self,
        url: str,
        *,
        session_options: Mapping[str, Any] | None = None,
        sync_engine_options: Mapping[str, Any] | None = None,
        **engine_options: Any,
    ) -> None:
        self.url = url
        self.async_url = to_async_url(url)
        self.sync_url = to_sync_url(url)
        self.driver = detect_driver(self.async_url)
        self.engine: AsyncEngine = create_async_engine(self.async_url, **engine_options)
        # Objects stay usable after commit: an async app cannot lazy-load them again implicitly.
        self._session_options = {"expire_on_commit": False, **(session_options or {})}
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, **self._session_options
        )
        self._sync_engine_options = self._twin_options(engine_options, sync_engine_options or {})
        self._sync_engine: Engine | None = None
        self._sync_sessionmaker: sessionmaker[Session] | None = None
        self._asyncpg_pool: LegacyAsyncpgPool | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _twin_options(engine_options: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        options = {key: value for key, value in engine_options.items() if key in _SHARED_ENGINE_OPTIONS}
        if "poolclass" in options:
            options["poolclass"] = _SYNC_POOL_CLASSES.get(options["poolclass"], options["poolclass"])
        options.update(overrides)
        return options

    def _check_shareable(self) -> None:
        url = make_url(self.sync_url)
        if url.get_backend_name() == "sqlite" and (
            url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
        ):
            raise DatabaseURLError(
                "an in-memory SQLite database exists once per connection, so a sync twin engine would see a "
                "different, empty database; use a file URL (sqlite:///./app.db) for mixed sync/async code"
            )

    @property
    def sync_engine(self) -> Engine:
        """The sync twin (psycopg2 / pysqlite / pymysql), created on first use."""
        if self._sync_engine is None:
            with self._lock:
                if self._sync_engine is None:
                    self._check_shareable()
                    self._sync_engine = create_engine(self.sync_url, **self._sync_engine_options)
        return self._sync_engine

    @property
    def sync_sessionmaker(self) -> sessionmaker[Session]:
        if self._sync_sessionmaker is None:
            engine = self.sync_engine
            with self._lock:
                if self._sync_sessionmaker is None:
                    self._sync_sessionmaker = sessionmaker(engine)
        return self._sync_sessionmaker

    def asyncpg_pool(self) -> LegacyAsyncpgPool:
        """The asyncpg-compatible facade over this engine's pool (one per database)."""
        from .asyncpg_pool import LegacyAsyncpgPool

        with self._lock:
            if self._asyncpg_pool is None:
                self._asyncpg_pool = LegacyAsyncpgPool(self.engine)
            return self._asyncpg_pool

    async def get_db(self) -> AsyncIterator[AsyncSession]:
        """FastAPI dependency: one AsyncSession per request, committed on success, rolled back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()

    async def dispose(self) -> None:
        """Close every pooled connection of the async engine and of the sync twin."""
        await self.engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"


_current: Database | None = None


def configure(url: str, **options: Any) -> Database:
    """Create the application's :class:`Database` and make it the process default."""
    global _current
    _current = Database(url, **options)
    return _current


def get_database() -> Database:
    if _current is None:
        raise NotConfiguredError(
            "sqlasync.compat is not configured: call sqlasync.compat.configure(DATABASE_URL, ...) at startup"
        )
    return _current
