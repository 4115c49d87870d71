"""Hundreds of concurrent bridged-DAO and facade tasks on a 5-connection pool, some failing, some cancelled."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from types import ModuleType

import pytest
from sqlalchemy import select

from sqlasync.compat import Database, call_legacy

pytestmark = pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")

TASKS = 240
CLIPS = ("intro", "outro")


def test_mixed_load_with_failures_and_cancellations_leaks_nothing(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    assert db.engine.pool.size() == 5
    pool = db.asyncpg_pool()
    chooser = random.Random(20240229)

    async def through_bridge(job_id: str, fail: bool) -> None:
        async with db.sessionmaker() as session, session.begin():
            await call_legacy(session, legacy.create_job, job_id)
            await asyncio.sleep(chooser.uniform(0, 0.003))  # hold the transaction open across awaits
            await call_legacy(session, legacy.create_job_with_clips, f"{job_id}-x", list(CLIPS), 1 if fail else None)

    async def through_facade(job_id: str, fail: bool) -> None:
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("INSERT INTO jobs (job_id, status) VALUES ($1, 'queued')", job_id)
            await asyncio.sleep(chooser.uniform(0, 0.003))
            await connection.execute("INSERT INTO jobs (job_id, status) VALUES ($1, 'queued')", f"{job_id}-x")
            if fail:
                raise legacy.DaoFailure(f"failing on purpose in {job_id}")
            await connection.executemany(
                "INSERT INTO clips (job_id, name) VALUES ($1, $2)", [(f"{job_id}-x", clip) for clip in CLIPS]
            )

    async def scenario() -> dict[str, str]:
        tasks: dict[str, asyncio.Task[None]] = {}
        for number in range(TASKS):
            job_id = f"job-{number:03d}"
            run = through_bridge if number % 2 == 0 else through_facade
            tasks[job_id] = asyncio.ensure_future(run(job_id, fail=number % 4 == 1 or number % 4 == 2 and number % 3 == 0))
        victims = [job_id for number, job_id in enumerate(tasks) if number % 5 == 3]
        for job_id in victims:
            loop.call_later(chooser.uniform(0, 0.15), tasks[job_id].cancel)
        await asyncio.wait(tasks.values())
        outcomes = {}
        for job_id, task in tasks.items():
            if task.cancelled():
                outcomes[job_id] = "cancelled"
            elif task.exception() is None:
                outcomes[job_id] = "committed"
            else:
                assert isinstance(task.exception(), legacy.DaoFailure), repr(task.exception())
                outcomes[job_id] = "failed"
        return outcomes

    outcomes = loop.run_until_complete(asyncio.wait_for(scenario(), 60))
    counts = Counter(outcomes.values())
    assert counts["committed"] > 0 and counts["failed"] > 0 and counts["cancelled"] > 0, counts
    assert db.engine.pool.checkedout() == 0

    async def stored() -> tuple[set[str], Counter[str]]:
        async with db.sessionmaker() as session:
            jobs = set((await session.scalars(select(legacy.Job.job_id))).all())
            clips = Counter((await session.scalars(select(legacy.Clip.job_id))).all())
        return jobs, clips

    jobs, clips = loop.run_until_complete(stored())
    for job_id, outcome in outcomes.items():
        written = {job_id in jobs, f"{job_id}-x" in jobs, clips[f"{job_id}-x"] == len(CLIPS)}
        assert len(written) == 1, f"partial write for {job_id} ({outcome})"  # all or nothing
        if outcome == "committed":
            assert written == {True}, job_id
        elif outcome == "failed":
            assert written == {False}, job_id
    assert db.engine.pool.checkedout() == 0
