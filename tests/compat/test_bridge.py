"""Legacy sync DAOs called from async code share the caller's connection and transaction."""

from __future__ import annotations

import asyncio
import traceback
from types import ModuleType
from unittest import mock

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from sqlasync.compat import Database, LegacyDaoModule, call_legacy, legacy_dao

pytestmark = pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")


async def job_ids(db: Database, legacy: ModuleType) -> list[str]:
    """What a separate connection sees as committed."""
    async with db.sessionmaker() as other:
        return list((await other.scalars(select(legacy.Job.job_id).order_by(legacy.Job.job_id))).all())


async def clip_count(db: Database, legacy: ModuleType) -> int:
    async with db.sessionmaker() as other:
        return (await other.scalar(select(func.count()).select_from(legacy.Clip))) or 0


def test_dao_sees_callers_pending_and_flushed_writes(db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> None:
    async def scenario() -> None:
        async with db.sessionmaker() as session:
            pending = legacy.Job(job_id="pending-1")
            session.add(pending)  # not flushed: autoflush inside the DAO's query must send it
            await session.execute(text("INSERT INTO jobs (job_id, status) VALUES ('flushed-1', 'running')"))

            callers_connection = (await session.connection()).sync_connection
            assert await call_legacy(session, lambda sync: sync.connection()) is callers_connection
            found = await call_legacy(session, legacy.get_job, "pending-1")
            assert found is pending  # same identity map, not just the same row
            assert (await call_legacy(session, legacy.get_job, "flushed-1")).status == "running"
            assert await call_legacy(session, legacy.count_jobs) == 2
            assert await job_ids(db, legacy) == []  # still uncommitted for everybody else
            await session.rollback()

    loop.run_until_complete(scenario())


def test_a_session_passed_by_keyword_is_replaced_by_the_sync_one(db: Database, loop: asyncio.AbstractEventLoop,
                                                                  legacy: ModuleType) -> None:
    def get_job(*, db_session, job_id):
        assert isinstance(db_session, Session)
        return legacy.get_job(db_session, job_id)

    async def scenario() -> None:
        async with db.sessionmaker() as session:
            session.add(legacy.Job(job_id="kw-1"))
            found = await call_legacy(session, get_job, db_session=session, job_id="kw-1")
            assert found.job_id == "kw-1"
            positional = await call_legacy(session, lambda first, job_id: legacy.get_job(first, job_id), session, "kw-1")
            assert positional is found
            await session.rollback()

    loop.run_until_complete(scenario())


def test_a_sync_session_is_handed_to_the_function_as_it_is(db: Database, loop: asyncio.AbstractEventLoop,
                                                            legacy: ModuleType) -> None:
    """Code left sync may hand async code a sync Session (a generator dependency on the sync twin): the bridged
    function gets that very session, with its pending objects, and no `run_sync` is asked of it."""
    async def scenario() -> None:
        with db.sync_sessionmaker() as session:
            pending = legacy.Job(job_id="sync-1")
            session.add(pending)
            assert await call_legacy(session, legacy.get_job, "sync-1") is pending
            assert await call_legacy(session, lambda db_session: db_session, db_session=session) is session
            session.rollback()

    loop.run_until_complete(scenario())


def test_a_mock_patched_over_the_function_is_called_with_the_callers_own_session(
        db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> None:
    """A test that patches the bridged function and asserts what it was called with handed over its AsyncSession:
    the test double gets that very object (it does no I/O), by keyword, by position or prepended."""
    async def scenario() -> None:
        async with db.sessionmaker() as session:
            stand_in = mock.MagicMock(return_value="done")
            assert await call_legacy(session, stand_in, db_session=session, job_id="m-1") == "done"
            stand_in.assert_called_once_with(db_session=session, job_id="m-1")
            stand_in.reset_mock()
            assert await call_legacy(session, stand_in, "m-1") == "done"
            stand_in.assert_called_once_with(session, "m-1")
            awaited = mock.AsyncMock(return_value=3)
            assert await call_legacy(session, awaited, session) == 3
            awaited.assert_awaited_once_with(session)

    loop.run_until_complete(scenario())


def test_dao_writes_commit_with_the_caller(db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> None:
    async def scenario() -> None:
        async with db.sessionmaker() as session, session.begin():
            job = await call_legacy(session, legacy.create_job, "job-1", status="running")
            session.add(legacy.Clip(job_id=job.job_id, name="intro"))
            assert await job_ids(db, legacy) == []
        assert await job_ids(db, legacy) == ["job-1"]
        assert await clip_count(db, legacy) == 1

    loop.run_until_complete(scenario())


def test_dao_writes_roll_back_with_the_caller(db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> None:
    async def scenario() -> None:
        async with db.sessionmaker() as session:
            await call_legacy(session, legacy.create_job, "job-1")
            await call_legacy(session, legacy.set_status, "job-1", "done")
            assert await call_legacy(session, legacy.statuses) == {"job-1": "done"}
            await session.rollback()
        assert await job_ids(db, legacy) == []

    loop.run_until_complete(scenario())


def test_exception_mid_dao_reaches_the_caller_unchanged_and_leaves_no_partial_write(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    async def scenario() -> None:
        with pytest.raises(legacy.DaoFailure) as raised:
            async with db.sessionmaker() as session, session.begin():
                await call_legacy(session, legacy.create_job, "kept-out-1")
                await call_legacy(session, legacy.create_job_with_clips, "job-1", ["a", "b", "c"], fail_after=2)
        assert str(raised.value) == "failing on purpose after 2 clips of job-1"
        frames = [frame.name for frame in traceback.extract_tb(raised.value.__traceback__)]
        assert "create_job_with_clips" in frames  # the DAO frame that raised is still in the traceback
        assert await job_ids(db, legacy) == []
        assert await clip_count(db, legacy) == 0
        assert db.engine.pool.checkedout() == 0

    loop.run_until_complete(scenario())


def test_database_errors_inside_the_dao_propagate_and_the_session_recovers(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    from sqlalchemy.exc import IntegrityError

    async def scenario() -> None:
        async with db.sessionmaker() as session:
            await call_legacy(session, legacy.create_job, "dup")
            await session.commit()
            with pytest.raises(IntegrityError):
                await call_legacy(session, legacy.create_job, "dup")
            await session.rollback()
            assert (await call_legacy(session, legacy.get_job, "dup")).job_id == "dup"

    loop.run_until_complete(scenario())


def test_a_dao_that_commits_commits_the_shared_transaction(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    """Same behaviour as when legacy code shared one sync session: commit() ends the caller's transaction."""

    async def scenario() -> None:
        async with db.sessionmaker() as session:
            session.add(legacy.Job(job_id="callers-own"))
            await call_legacy(session, legacy.create_job_and_commit, "committed-by-dao")
            assert await job_ids(db, legacy) == ["callers-own", "committed-by-dao"]

    loop.run_until_complete(scenario())


def test_nested_decorated_daos_and_savepoints(db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> None:
    @legacy_dao
    def create(db: Session, job_id: str) -> str:
        return legacy.create_job(db, job_id).job_id

    @legacy_dao
    def create_two(db: Session, first: str, second: str) -> list[str]:
        # Inside the bridge the session is sync, so decorated DAOs call each other directly.
        assert isinstance(db, Session)
        return [create(db, first), create(db, second)]

    async def scenario() -> None:
        async with db.sessionmaker() as session, session.begin():
            assert await create_two(session, "a", "b") == ["a", "b"]
            try:
                async with session.begin_nested():
                    await create_two(session, "c", "d")
                    raise RuntimeError("undo only the savepoint")
            except RuntimeError:
                pass
            assert await call_legacy(session, legacy.count_jobs) == 2
        assert await job_ids(db, legacy) == ["a", "b"]

    loop.run_until_complete(scenario())


def test_decorated_dao_with_a_sync_session_is_a_plain_call(db: Database, legacy: ModuleType) -> None:
    bridged = legacy_dao(legacy.create_job)
    with db.sync_sessionmaker() as session:
        job = bridged(session, "sync-1")
        assert isinstance(job, legacy.Job)
        session.rollback()


def test_legacy_dao_module_bridges_functions_and_passes_everything_else_through(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    dao = legacy_dao(legacy)
    assert isinstance(dao, LegacyDaoModule)
    assert dao.Job is legacy.Job and dao.DaoFailure is legacy.DaoFailure
    assert dao.get_job is dao.get_job  # bridged once, then cached
    assert dao.get_job.__wrapped__ is legacy.get_job
    assert "create_job" in dir(dao)

    async def scenario() -> None:
        async with db.sessionmaker() as session:
            await dao.create_job(db=session, job_id="kw-1")  # the session may be a keyword argument
            assert (await dao.get_job(session, "kw-1")).job_id == "kw-1"
            await session.commit()

    loop.run_until_complete(scenario())
    assert loop.run_until_complete(job_ids(db, legacy)) == ["kw-1"]


def test_bridge_runs_on_the_event_loop_thread_without_a_thread_pool(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    import threading

    seen: list[str] = []

    def which_thread(session: Session) -> None:
        seen.append(threading.current_thread().name)
        session.execute(text("SELECT 1"))

    async def scenario() -> None:
        async with db.sessionmaker() as session:
            await call_legacy(session, which_thread)

    loop.run_until_complete(scenario())
    assert seen == [threading.current_thread().name]


def test_misuse_is_reported_clearly(legacy: ModuleType) -> None:
    with pytest.raises(TypeError, match="needs a Session or AsyncSession argument"):
        legacy_dao(legacy.get_job)("no-session-here", "x")

    async def already_async(db: AsyncSession) -> None: ...

    with pytest.raises(TypeError, match="already async"):
        legacy_dao(already_async)
