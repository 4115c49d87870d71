"""compat.run_from_sync: a sync entry point (CLI command, scheduled job, sync test) running migrated async code."""

from __future__ import annotations

import asyncio
import threading
from types import ModuleType

import anyio
import anyio.to_thread
import pytest
from sqlalchemy import event, func, select

from sqlasync.compat import Database, SyncEntryOnLoopError, run_from_sync


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _add_and_count(database: Database, legacy: ModuleType, job_id: str) -> int:
    """A sync entry point as the codemods leave one: its body is an async twin it runs to the end."""

    async def body() -> int:
        async with database.sessionmaker() as session:
            session.add(legacy.Job(job_id=job_id))
            await session.commit()
            return await session.scalar(select(func.count()).select_from(legacy.Job))

    return run_from_sync(body)


def test_entries_without_a_loop_share_one_loop_and_one_pool(database_url: str, legacy: ModuleType) -> None:
    database = Database(database_url, pool_size=2, max_overflow=0)

    async def create_tables() -> None:
        async with database.engine.begin() as connection:
            await connection.run_sync(legacy.Base.metadata.create_all)

    try:
        run_from_sync(create_tables)
        first_loop = run_from_sync(_running_loop)
        assert first_loop is not None and not first_loop.is_closed()
        # A script calls several entries one after the other, a worker runs them from its threads: pooled
        # connections (asyncpg's are bound to the loop that opened them) are reused across all of them.
        counts = [_add_and_count(database, legacy, f"main-{n}") for n in range(3)]
        from_threads: list[int] = []
        workers = [threading.Thread(target=lambda n=n: from_threads.append(_add_and_count(database, legacy, f"t-{n}")))
                   for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert counts == [1, 2, 3]
        # The threads' transactions interleave: each saw its own row and at most the others'.
        assert len(from_threads) == 4 and all(4 <= count <= 7 for count in from_threads)
        assert _add_and_count(database, legacy, "last") == 8
        assert run_from_sync(_running_loop) is first_loop
    finally:
        run_from_sync(database.dispose)


def test_an_anyio_worker_thread_runs_the_coroutine_on_its_own_loop() -> None:
    async def main() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
        # Starlette's run_in_threadpool (a sync FastAPI route, a scheduled job) is anyio.to_thread.run_sync.
        inside = await anyio.to_thread.run_sync(run_from_sync, _running_loop)
        return asyncio.get_running_loop(), inside

    application_loop, used = anyio.run(main)
    assert used is application_loop


def test_errors_reach_the_sync_caller_unchanged() -> None:
    failure = LookupError("no such job")

    async def fails(reason: Exception) -> None:
        raise reason

    with pytest.raises(LookupError) as raised:
        run_from_sync(fails, failure)
    assert raised.value is failure


def test_arguments_pass_by_position_and_keyword() -> None:
    async def shape(a: int, /, b: int, *, c: int) -> tuple[int, int, int]:
        return a, b, c

    assert run_from_sync(shape, 1, 2, c=3) == (1, 2, 3)


def test_called_on_the_loop_thread_it_names_what_to_await() -> None:
    async def purge_async() -> None:
        return None

    async def caller() -> None:
        run_from_sync(purge_async)

    with pytest.raises(SyncEntryOnLoopError, match=r"`await .*purge_async\(...\)` there instead"):
        asyncio.run(caller())


def test_an_orm_event_during_an_async_flush_awaits_through_the_greenlet(database_url: str, legacy: ModuleType) -> None:
    """A sync listener (kept sync: SQLAlchemy calls it inside the flush) whose body became async: on the loop's
    thread, inside SQLAlchemy's greenlet, the coroutine runs on that loop while the flush waits for it."""
    database = Database(database_url, pool_size=2, max_overflow=0)
    audited: list[tuple[str, int]] = []

    async def audit_async(job_id: str) -> None:
        async with database.sessionmaker() as other:  # its own connection, not the flushing one
            audited.append((job_id, await other.scalar(select(func.count()).select_from(legacy.Job))))

    def audit(mapper, connection, target) -> None:
        return run_from_sync(audit_async, target.job_id)

    async def scenario() -> None:
        async with database.engine.begin() as connection:
            await connection.run_sync(legacy.Base.metadata.create_all)
        async with database.sessionmaker() as session:
            session.add(legacy.Job(job_id="first"))
            await session.commit()
        await database.dispose()

    event.listen(legacy.Job, "before_insert", audit)
    try:
        asyncio.run(scenario())
    finally:
        event.remove(legacy.Job, "before_insert", audit)
    assert audited == [("first", 0)]
