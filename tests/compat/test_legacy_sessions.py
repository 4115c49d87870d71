"""SessionLocal / sync get_db on the sync twin, side by side with the async engine on one database."""

from __future__ import annotations

import asyncio
import threading
from types import ModuleType

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool, QueuePool

from sqlasync import compat
from sqlasync.compat import Database, DatabaseURLError, LegacySessionFactory, NotConfiguredError, SessionLocal, get_db

pytestmark = pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")


def test_sync_twin_and_async_engine_share_one_database(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    factory = LegacySessionFactory(db)

    def legacy_worker() -> None:  # e.g. a Celery task or a thread outside the event loop
        with factory() as session:
            session.add(legacy.Job(job_id="from-sync"))
            session.commit()

    worker = threading.Thread(target=legacy_worker)
    worker.start()
    worker.join()

    async def async_side() -> list[str]:
        async with db.sessionmaker() as session, session.begin():
            session.add(legacy.Job(job_id="from-async"))
        async with db.sessionmaker() as session:
            return list((await session.scalars(select(legacy.Job.job_id).order_by(legacy.Job.job_id))).all())

    assert loop.run_until_complete(async_side()) == ["from-async", "from-sync"]
    with factory.begin() as session:
        assert {job.job_id for job in session.query(legacy.Job)} == {"from-async", "from-sync"}
    assert db.sync_engine.pool.checkedout() == 0
    assert db.engine.pool.checkedout() == 0


def test_twin_uses_the_sync_driver_and_the_same_pool_settings(postgres_url: str) -> None:
    database = Database(postgres_url, pool_size=3, max_overflow=2, pool_recycle=1800, pool_pre_ping=True,
                        connect_args={"server_settings": {"application_name": "async-only"}})
    try:
        assert database.engine.dialect.driver == "asyncpg"
        assert database.sync_engine.dialect.driver == "psycopg2"
        pool = database.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow, pool._recycle, pool._pre_ping) == (3, 2, 1800, True)
        with database.sync_engine.connect() as connection:  # asyncpg-only connect_args were not carried over
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        asyncio.run(database.dispose())


def test_twin_pool_class_follows_the_async_one(sqlite_url: str) -> None:
    assert isinstance(Database(sqlite_url, poolclass=NullPool).sync_engine.pool, NullPool)
    overridden = Database(sqlite_url, pool_size=2, sync_engine_options={"pool_size": 7})
    assert overridden.sync_engine.pool.size() == 7


def test_in_memory_sqlite_has_no_shareable_twin() -> None:
    database = Database("sqlite+aiosqlite:///:memory:")
    with pytest.raises(DatabaseURLError, match="in-memory SQLite"):
        database.sync_engine


def test_module_level_session_local_and_get_db_follow_configure(
    sqlite_url: str, legacy: ModuleType, unconfigured: None
) -> None:
    with pytest.raises(NotConfiguredError, match=r"configure\(DATABASE_URL"):
        SessionLocal()
    database = compat.configure(sqlite_url)
    assert compat.get_database() is database
    legacy.Base.metadata.create_all(database.sync_engine)

    session = SessionLocal()
    try:
        session.add(legacy.Job(job_id="by-hand"))
        session.commit()
    finally:
        session.close()

    dependency = get_db()
    session = next(dependency)
    assert [job.job_id for job in session.query(legacy.Job)] == ["by-hand"]
    with pytest.raises(StopIteration):
        next(dependency)  # the generator's cleanup closes the session
    assert database.sync_engine.pool.checkedout() == 0
    asyncio.run(database.dispose())
