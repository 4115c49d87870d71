"""F112 end to end: a service that becomes async, used by a route, a Click command and a job a registry calls
synchronously. After `migrate`, each of them runs and does its work on a real database (SQLite and PostgreSQL),
with an unawaited coroutine an error (`-W error::RuntimeWarning`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sqlasync.cli import main

APP = {
    "app/__init__.py": "",
    "app/database.py": """
        import os

        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine(os.environ["DATABASE_URL"])
        SessionLocal = sessionmaker(bind=engine)
    """,
    "app/models.py": """
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class Job(Base):
            __tablename__ = "jobs"

            id: Mapped[int] = mapped_column(primary_key=True)
            age: Mapped[int]
    """,
    "app/services.py": """
        from sqlalchemy import delete
        from sqlalchemy.orm import Session

        from app.models import Job


        def purge_jobs(db: Session, days: int) -> int:
            result = db.execute(delete(Job).where(Job.age > days))
            db.commit()
            return result.rowcount
    """,
    "app/audit.py": """
        import functools

        calls = []


        def audited(function):
            @functools.wraps(function)
            def logged(*args, **kwargs):
                calls.append(function.__name__)
                return function(*args, **kwargs)

            return logged
    """,
    "app/api.py": """
        from fastapi import APIRouter, Depends

        from app.audit import audited
        from app.database import SessionLocal
        from app.services import purge_jobs

        router = APIRouter()


        def get_db():
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()


        @router.post("/purge")
        def purge(days: int, db=Depends(get_db)):
            return {"deleted": purge_jobs(db, days)}


        @router.post("/purge/published")
        def purge_published(days: int, db=Depends(get_db)):
            from app.events import Publisher

            return {"deleted": Publisher().publish(days) + purge_jobs(db, days + 10)}


        @router.post("/purge/audited")
        @audited
        def purge_audited(days: int, db=Depends(get_db)):
            return {"deleted": purge_jobs(db, days)}
    """,
    "app/cli.py": """
        import click

        from app.database import SessionLocal
        from app.services import purge_jobs


        @click.group()
        def cli():
            pass


        @cli.command()
        @click.option("--days", default=30)
        def purge(days):
            \"\"\"Delete the jobs older than DAYS days.\"\"\"
            with SessionLocal() as db:
                click.echo(purge_jobs(db, days))
    """,
    "app/events.py": """
        from app.database import SessionLocal
        from app.registry import register_daily
        from app.services import purge_jobs


        class Publisher:
            def publish(self, days: int = 50) -> int:
                with SessionLocal() as db:
                    return purge_jobs(db, days)


        register_daily(Publisher().publish)
    """,
    "app/registry.py": """
        _daily = []


        def register_daily(*callbacks):
            _daily.extend(callbacks)


        def run_daily():
            for callback in _daily:
                callback()
    """,
    "app/scheduler.py": """
        from app.database import SessionLocal
        from app.registry import register_daily
        from app.services import purge_jobs


        def purge_old_jobs():
            db = SessionLocal()
            try:
                purge_jobs(db, 30)
            finally:
                db.close()


        register_daily(purge_old_jobs)
    """,
}

# Runs the migrated app: the CLI on its own, the registry's job from a plain thread and from a worker thread of
# an application's event loop (Starlette's run_in_threadpool), and the route through FastAPI.
EXERCISE = """
    import anyio
    from click.testing import CliRunner
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import func, insert, select
    from starlette.concurrency import run_in_threadpool

    from app import audit, events, registry, scheduler
    from app.api import router
    from app.cli import cli
    from app.database import SessionLocal, engine
    from app.models import Base, Job
    from sqlasync.compat import run_from_sync


    async def reset(ages):
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)
            await connection.execute(insert(Job), [{"age": age} for age in ages])


    async def ages():
        async with SessionLocal() as session:
            return sorted(await session.scalars(select(Job.age)))


    run_from_sync(reset, [1, 40, 50, 70, 80])
    result = CliRunner().invoke(cli, ["purge", "--days", "60"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2", result.output
    registry.run_daily()  # the scheduler's job (days > 30), then the publisher's method (days > 50)
    assert run_from_sync(ages) == [1], run_from_sync(ages)
    run_from_sync(engine.dispose)  # the next loops are the application's: no connection crosses over


    async def scheduled():
        await reset([1, 40])
        await run_in_threadpool(registry.run_daily)
        return await ages()


    assert anyio.run(scheduled) == [1]
    anyio.run(engine.dispose)

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        client.portal.call(reset, [5, 10, 20])
        response = client.post("/purge", params={"days": 7})
        assert response.json() == {"deleted": 2}, response.text
        client.portal.call(reset, [5, 10, 20])
        # A route behind a decorator that only wraps sync functions stays sync (FastAPI runs it in a worker
        # thread) and runs its async body back on the application's loop, with the AsyncSession of get_db.
        response = client.post("/purge/audited", params={"days": 15})
        assert response.json() == {"deleted": 1}, response.text
        assert audit.calls == ["purge_audited"], audit.calls
        client.portal.call(reset, [5, 10, 20, 30])
        # The async route awaits the method's async twin: its sync face would wait on the loop's own thread.
        response = client.post("/purge/published", params={"days": 15})
        assert response.json() == {"deleted": 2}, response.text
        client.portal.call(engine.dispose)
    print("ok")
"""


@pytest.mark.postgres
def test_migrated_entries_run_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    _migrate_and_run(tmp_path, postgres_url)


def test_migrated_entries_run_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    _migrate_and_run(tmp_path, sqlite_url)


def _migrate_and_run(tree: Path, url: str) -> None:
    for name, source in APP.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip())
    assert main(["migrate", "--allow-dirty", "--no-cache", str(tree)]) == 0
    cli = (tree / "app/cli.py").read_text()
    assert "def purge(days):\n    \"\"\"Delete the jobs older than DAYS days.\"\"\"\n    return run_from_sync(purge_async, days)" \
        in cli
    assert "async def purge_old_jobs_async():" in (tree / "app/scheduler.py").read_text()
    api = (tree / "app/api.py").read_text()
    assert "return run_from_sync(purge_audited_async, days, db)" in api
    assert "await Publisher().publish_async(days)" in api
    assert "return run_from_sync(self.publish_async, days)" in (tree / "app/events.py").read_text()
    (tree / "exercise.py").write_text(textwrap.dedent(EXERCISE).lstrip())
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(tree)}
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "exercise.py"], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr
