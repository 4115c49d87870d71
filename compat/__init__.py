"""sqlasync.compat: the transition runtime for applications that are half migrated.

While a codebase moves from sync SQLAlchemy DAOs, the ``Container`` service
locator and raw asyncpg pools to async SQLAlchemy, the old and the new code run
side by side on ONE configuration and (for async code) ONE pool::

    from sqlasync import compat

    database = compat.configure(os.environ["DATABASE_URL"], pool_size=5, max_overflow=10)

    # new code
    async def list_jobs(db: AsyncSession = Depends(database.get_db)): ...

    # legacy sync DAO, same connection and transaction as the caller
    job = await compat.call_legacy(db, dao.get_job, job_id)

    # legacy raw-asyncpg service, connections from the same pool
    pool = database.asyncpg_pool()

    # legacy Container.resolve("db_session"), now closed at the end of each request
    app.add_middleware(compat.LegacySessionScopeMiddleware)

    # a Click command / Celery task / scheduled job that stays sync, running its async body
    compat.run_from_sync(purge_async, days=30)

    # an async test handed the sync session that factory_boy and the fixture's SAVEPOINT keep using
    # (its registry bound to the sync-driver twin of the now async engine)
    Session.configure(bind=compat.sync_twin(engine))
    yield compat.adopt_session(session)

    # a functools.cached_property whose getter now awaits: an async method, still run once per instance
    @compat.cached_per_instance
    async def service(self): ...

What psycopg2 accepted and asyncpg refuses keeps working on asyncpg: SQL scripts run in one call (several
statements, no parameters) and aware datetimes for ``timestamp without time zone`` parameters
(:mod:`sqlasync.compat.asyncpg_leniency`); importing this package registers that.

Every legacy entry point reports its caller once (:class:`LegacyDatabaseAccessWarning`
and, with ``SQLASYNC_RUNTIME_LOG=/path/file.jsonl``, a JSON line; format in
:mod:`sqlasync.compat.runtime_log`).

Dependencies are the standard library, SQLAlchemy and greenlet only; database
drivers are imported by SQLAlchemy when an engine needs them.
"""

from .adopted import adopt_session
from .asgi import LegacySessionScopeMiddleware, request_session_scope
from .asyncpg_leniency import naive_timestamp_positions, script_statements
from .asyncpg_statements import FacadeInterfaceError
from .asyncpg_pool import LegacyAsyncpgPool
from .bridge import LegacyDaoModule, call_legacy, legacy_dao
from .cached import cached_per_instance
from .container import Container, LegacyContainer
from .database import Database, NotConfiguredError, configure, get_database
from .deprecation import LegacyDatabaseAccessWarning
from .legacy_sessions import LegacySessionFactory, SessionLocal, get_db
from .records import Record
from .runtime_log import RUNTIME_LOG_ENV
from .scope import SessionScope, SessionScopeError, legacy_session_scope
from .sync_entry import SyncEntryOnLoopError, run_from_sync
from .sync_twin import sync_session_from, sync_twin
from .urls import DatabaseURLError, DriverInfo, detect_driver, to_async_url, to_sync_url

__all__ = [
    "Container",
    "Database",
    "DatabaseURLError",
    "DriverInfo",
    "FacadeInterfaceError",
    "LegacyAsyncpgPool",
    "LegacyContainer",
    "LegacyDaoModule",
    "LegacyDatabaseAccessWarning",
    "LegacySessionFactory",
    "LegacySessionScopeMiddleware",
    "NotConfiguredError",
    "RUNTIME_LOG_ENV",
    "Record",
    "SessionLocal",
    "SessionScope",
    "SessionScopeError",
    "SyncEntryOnLoopError",
    "adopt_session",
    "cached_per_instance",
    "call_legacy",
    "configure",
    "detect_driver",
    "get_database",
    "get_db",
    "legacy_dao",
    "legacy_session_scope",
    "naive_timestamp_positions",
    "request_session_scope",
    "run_from_sync",
    "script_statements",
    "sync_session_from",
    "sync_twin",
    "to_async_url",
    "to_sync_url",
]
