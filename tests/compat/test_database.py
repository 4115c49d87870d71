"""The one configuration object: engines, session factories and the async get_db dependency."""

from __future__ import annotations

import asyncio
from types import ModuleType

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sqlasync import compat
from sqlasync.compat import Database, NotConfiguredError


def test_async_get_db_commits_on_success_and_rolls_back_on_error(
    db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType
) -> None:
    app = FastAPI()

    @app.post("/jobs/{job_id}")
    async def create(job_id: str, fail: bool = False, session: AsyncSession = Depends(db.get_db)) -> dict[str, str]:
        session.add(legacy.Job(job_id=job_id, status="queued"))
        await session.flush()
        if fail:
            raise RuntimeError("after the flush")
        return {"created": job_id}

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            assert (await http.post("/jobs/kept")).status_code == 200
            assert (await http.post("/jobs/dropped", params={"fail": True})).status_code == 500
        async with db.sessionmaker() as session:
            jobs = set((await session.scalars(select(legacy.Job.job_id))).all())
            assert jobs == {"kept"}
            return await session.scalar(select(func.count()).select_from(legacy.Job))

    assert loop.run_until_complete(scenario()) == 1


def test_objects_stay_loaded_after_commit(sqlite_db: Database, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> None:
    async def scenario() -> str:
        async with sqlite_db.sessionmaker() as session:
            job = legacy.Job(job_id="j", status="queued")
            session.add(job)
            await session.commit()
            return job.status  # no implicit lazy load (which would need a greenlet) after commit

    assert loop.run_until_complete(scenario()) == "queued"


def test_urls_and_driver_are_derived_once(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    assert database.url == sqlite_url
    assert database.async_url == sqlite_url.replace("sqlite://", "sqlite+aiosqlite://")
    assert database.sync_url == sqlite_url
    assert (database.driver.dialect, database.driver.driver) == ("sqlite", "aiosqlite")


def test_repr_hides_the_password() -> None:
    database = Database("postgresql://app:top-secret@127.0.0.1:1/app")
    assert "top-secret" not in repr(database) and "postgresql+asyncpg" in repr(database)


def test_configure_registers_the_process_default(sqlite_url: str, unconfigured: None) -> None:
    with pytest.raises(NotConfiguredError):
        compat.get_database()
    first = compat.configure(sqlite_url, pool_size=3)
    assert compat.get_database() is first and first.engine.pool.size() == 3
    second = compat.configure(sqlite_url)
    assert compat.get_database() is second
