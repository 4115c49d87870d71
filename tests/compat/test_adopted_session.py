"""adopt_session: async tests and services on the sync session a test suite's factories keep using.

Modelled on a suite like Netflix/dispatch's: a `scoped_session(sessionmaker())` registry bound to a sync
engine, a per-test session inside a SAVEPOINT that is rolled back afterwards, and a factory_boy-like sync
factory that adds and commits through the registry, while the tests and the services they call are async.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import (AsyncSession, async_object_session, async_session, async_sessionmaker,
                                    create_async_engine)
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from sqlasync import compat

pytestmark = pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")


@pytest.fixture
def engine(database_url: str, legacy: ModuleType) -> Iterator[Engine]:
    engine = create_engine(compat.to_sync_url(database_url))  # psycopg2 on PostgreSQL, whatever the default
    legacy.Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def registry(engine: Engine) -> Iterator[scoped_session]:
    """The suite's `Session = scoped_session(sessionmaker())`, bound by its database fixture."""
    registry = scoped_session(sessionmaker())
    registry.configure(bind=engine)
    try:
        yield registry
    finally:
        registry.remove()


@pytest.fixture
def sync_session(registry: scoped_session) -> Iterator[Session]:
    """The suite's autouse fixture: one session per test, its writes undone by the outer rollback."""
    session = registry()
    session.begin_nested()
    yield session
    session.rollback()


def make_job(registry: scoped_session, legacy: ModuleType, job_id: str):
    """What a factory_boy SQLAlchemyModelFactory with `sqlalchemy_session_persistence = "commit"` does."""
    job = legacy.Job(job_id=job_id)
    registry.add(job)
    registry.commit()
    return job


async def job_ids(db: AsyncSession, legacy: ModuleType) -> list[str]:
    """A migrated service function."""
    return list((await db.scalars(select(legacy.Job.job_id).order_by(legacy.Job.job_id))).all())


def count_rows(engine: Engine, legacy: ModuleType) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(legacy.Job))


def test_async_code_and_the_sync_factory_share_one_session_and_transaction(
    registry: scoped_session, engine: Engine, legacy: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    session = registry()
    session.begin_nested()
    adopted = compat.adopt_session(session)

    async def test_body() -> list[str]:
        make_job(registry, legacy, "from-factory")
        adopted.add(legacy.Job(job_id="from-service"))
        await adopted.flush()
        found = await adopted.get(legacy.Job, make_job(registry, legacy, "second").id)
        assert found is not None and found.job_id == "second"
        adopted.add(legacy.Job(job_id="flushed-only"))
        return await job_ids(adopted, legacy)

    assert loop.run_until_complete(test_body()) == ["flushed-only", "from-factory", "from-service", "second"]
    # The factory's commit() committed the whole transaction (Session.commit() does, under a SAVEPOINT too);
    # what came after it, flushed by the query, is undone with the fixture's rollback.
    session.rollback()
    assert count_rows(engine, legacy) == 3


def test_it_is_an_async_session_over_the_very_same_session(sync_session: Session) -> None:
    adopted = compat.adopt_session(sync_session)
    assert isinstance(adopted, AsyncSession)
    assert adopted.sync_session is sync_session
    assert async_session(sync_session) is adopted
    assert compat.adopt_session(sync_session) is adopted
    with pytest.raises((AttributeError, InvalidRequestError)):  # no AsyncEngine behind a sync engine (2.0 / 2.1)
        adopted.bind  # noqa: B018


def test_an_async_session_already_proxying_the_session_is_the_one_handed_out() -> None:
    existing = AsyncSession()
    assert compat.adopt_session(existing.sync_session) is existing


def test_legacy_dao_and_lazy_loads_run_on_the_shared_session(
    sync_session: Session, registry: scoped_session, legacy: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    adopted = compat.adopt_session(sync_session)

    async def test_body() -> tuple[int, str]:
        job = await compat.call_legacy(adopted, legacy.create_job, "by-dao")
        assert async_object_session(job) is adopted
        await adopted.flush()
        registry.expire(job)  # the next attribute read loads it again, on the sync driver, outside any greenlet
        return await compat.call_legacy(adopted, legacy.count_jobs), job.status

    assert loop.run_until_complete(test_body()) == (1, "queued")


def test_rolling_back_the_adopted_session_ends_the_savepoint_of_the_fixture(
    sync_session: Session, registry: scoped_session, legacy: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    adopted = compat.adopt_session(sync_session)

    async def test_body() -> list[str]:
        adopted.add(legacy.Job(job_id="undone"))
        await adopted.flush()
        await adopted.rollback()
        return await job_ids(adopted, legacy)

    assert loop.run_until_complete(test_body()) == []
    make_job(registry, legacy, "after")  # the sync side goes on in the same session
    assert [job.job_id for job in sync_session.query(legacy.Job)] == ["after"]


def test_only_a_sync_session_can_be_adopted(sync_session: Session) -> None:
    with pytest.raises(TypeError, match="AsyncSession"):
        compat.adopt_session(compat.adopt_session(sync_session))


def test_a_registry_bound_to_the_sync_twin_of_an_async_engine_serves_factories_and_async_code(
    database_url: str, legacy: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    async_engine = create_async_engine(compat.to_async_url(database_url))
    try:
        twin = compat.sync_twin(async_engine.execution_options(isolation_level="SERIALIZABLE"))
        assert not twin.dialect.is_async and twin.get_execution_options()["isolation_level"] == "SERIALIZABLE"
        assert compat.sync_twin(async_engine).pool is twin.pool  # one twin per pool of the async engine
        assert compat.sync_twin(twin) is twin
        legacy.Base.metadata.create_all(twin)
        registry = scoped_session(sessionmaker())
        registry.configure(bind=twin)
        session = registry()
        session.begin_nested()
        make_job(registry, legacy, "from-factory")
        assert loop.run_until_complete(job_ids(compat.adopt_session(session), legacy)) == ["from-factory"]
        registry.remove()
        twin.dispose()
    finally:
        loop.run_until_complete(async_engine.dispose())


def test_code_left_sync_opens_a_sync_session_like_the_async_factorys(
    database_url: str, legacy: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    """`sync_session_from(SessionLocal)` in a `@contextmanager` that stays sync: the factory's settings, the sync
    twin of its engine, and rows that async sessions of the same factory see once committed."""
    async_engine = create_async_engine(compat.to_async_url(database_url))
    factory = async_sessionmaker(async_engine, expire_on_commit=False, autoflush=False)
    try:
        session = compat.sync_session_from(factory, info={"opened_by": "cli"})
        assert type(session) is Session and not session.bind.dialect.is_async
        assert session.bind.pool is compat.sync_twin(async_engine).pool
        assert (session.expire_on_commit, session.autoflush, session.info) == (False, False, {"opened_by": "cli"})
        legacy.Base.metadata.create_all(session.bind)
        with session:
            session.add(legacy.Job(job_id="from-sync-code"))
            session.commit()

        async def read() -> list[str]:
            async with factory() as db:
                return await job_ids(db, legacy)

        assert loop.run_until_complete(read()) == ["from-sync-code"]
        plain = sessionmaker(bind=session.bind)
        assert compat.sync_session_from(plain).bind is session.bind  # a sync factory simply makes its session
        with pytest.raises(TypeError, match="sessionmaker or async_sessionmaker"):
            compat.sync_session_from(async_engine)
        compat.sync_twin(async_engine).dispose()
    finally:
        loop.run_until_complete(async_engine.dispose())
