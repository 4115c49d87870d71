"""Load on the mixed state of `fixtures/raw_asyncpg`: one small pool, four styles of data access, failures, cancellations.

The app is copied to a scratch folder and wired the way a user reaches the mixed state:
`sqlasync.compat.configure(DATABASE_URL, pool_size=3, max_overflow=2)` owns the only engine; the legacy
asyncpg pool is pointed at `sqlasync.compat` (`database.asyncpg_pool()`), the async DAO's engine is
compat's, the deprecated sync DAO is bridged into async admin routes (`legacy_dao`, `call_legacy`), and
the services are migrated by the R codemod (processing entirely, content partly: the rest stays on
the facade). Then 240 requests run at once through httpx's ASGI transport, some failing on purpose,
some cancelled mid-flight, in a subprocess of their own (one event loop, one `configure()`).

Afterwards: no request failed other than on purpose, no connection is checked out, the server never saw
more connections than the pool allows, and the database holds no trace of a request that failed or was
cancelled, nor half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.databases import fresh_postgres_database, psycopg2_connect
from support.fixture_harness import FIXTURES_ROOT, describe_run

from sqlasync.analysis import migrate
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

pytestmark = pytest.mark.postgres

FIXTURE = FIXTURES_ROOT / "raw_asyncpg"
POOL_SIZE, MAX_OVERFLOW = 3, 2
TIME_LIMIT_SECONDS = 60

WIRING = {
    "app/core/config.py": [(
        'DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost:5432/mediaempire")\n',
        'DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost:5432/mediaempire")\n'
        "\nfrom sqlasync import compat  # noqa: E402\n\n"
        f"database = compat.configure(DATABASE_URL, pool_size={POOL_SIZE}, max_overflow={MAX_OVERFLOW}, "
        "pool_timeout=30)\n",
    )],
    "app/core/database.py": [
        ("from app.core.config import DATABASE_URL\n", "from app.core.config import DATABASE_URL, database\n"),
        ("await asyncpg.create_pool(asyncpg_dsn(DATABASE_URL), min_size=1, max_size=10)",
         "database.asyncpg_pool()"),
    ],
    "app/data/async_dao.py": [
        ("from app.core.config import DATABASE_URL\n", "from app.core.config import DATABASE_URL, database\n"),
        ("_engine = create_async_engine(async_database_url(DATABASE_URL))", "_engine = database.engine"),
    ],
}

BRIDGED_ADMIN = '''"""Admin endpoints, now async, on the deprecated sync DAO bridged onto the request's AsyncSession."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import database
from app.data import dao as legacy_module
from app.schemas import WorkspaceName
from sqlasync.compat import call_legacy, legacy_dao

dao = legacy_dao(legacy_module)
router = APIRouter(prefix="/admin/workspaces", tags=["admin"])


async def _workspace_or_404(db: AsyncSession, workspace_id: int):
    workspace = await dao.get_workspace(db, workspace_id)
    if workspace is None:
        raise HTTPException(status_code=404, detail="workspace not found")
    return workspace


@router.get("/{workspace_id}/summary")
async def workspace_summary(workspace_id: int, db: AsyncSession = Depends(database.get_db)):
    workspace = await _workspace_or_404(db, workspace_id)
    return {
        "name": workspace.name,
        "content_by_status": await dao.content_status_counts(db, workspace_id),
        "characters": await dao.count_characters(db, workspace_id),
        "pending_jobs": await dao.count_pending_jobs(db, workspace_id),
        "asset_bytes": await dao.total_asset_bytes(db, workspace_id),
    }


@router.put("/{workspace_id}/name")
async def rename_workspace(workspace_id: int, payload: WorkspaceName, db: AsyncSession = Depends(database.get_db)):
    workspace = await _workspace_or_404(db, workspace_id)
    try:
        workspace = await call_legacy(db, legacy_module.rename_workspace, workspace, payload.name)
    except IntegrityError:
        await db.rollback()
        raise HTTPException(status_code=409, detail="workspace name already taken") from None
    return {"id": workspace.id, "name": workspace.name}
'''

CHAOS = '''"""Endpoints that fail on purpose or take long enough to be cancelled mid-flight."""

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import database
from app.core.database import get_pool
from app.data import dao
from app.data.async_dao import AsyncSessionLocal
from app.data.models import Character
from sqlasync.compat import call_legacy

router = APIRouter(prefix="/chaos")


@router.post("/partial-write/{workspace_id}")
async def partial_write(workspace_id: int, n: int, db: AsyncSession = Depends(database.get_db)):
    db.add(Character(workspace_id=workspace_id, name=f"chaos-{n}"))
    await db.flush()
    seen = await call_legacy(db, dao.count_characters, workspace_id)
    raise RuntimeError(f"failing on purpose after a write the bridged DAO saw ({seen} characters)")


@router.post("/slow-write/{workspace_id}")
async def slow_write(workspace_id: int, n: int):
    async with AsyncSessionLocal.begin() as db:
        await db.execute(text("INSERT INTO characters (workspace_id, name) VALUES (:w, :name)"),
                         {"w": workspace_id, "name": f"slow-{n}"})
        await db.execute(text("SELECT pg_sleep(0.3)"))
    return {"n": n}


@router.post("/legacy-slow/{workspace_id}")
async def legacy_slow(workspace_id: int, n: int, pool=Depends(get_pool)):
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("INSERT INTO content_items (workspace_id, title, price_note) VALUES ($1, $2, 'n/a')",
                               workspace_id, f"legacy-slow-{n}")
            await conn.execute("SELECT pg_sleep(0.3)")
    return {"n": n}
'''

DRIVER = '''"""Runs the load against the mixed-state app in this folder; prints what happened as JSON."""

import asyncio
import json
import os
import random
import time
import warnings

import asyncpg
import httpx

from sqlasync.compat import LegacyDatabaseAccessWarning

# Each legacy call site reports itself once; that is not what this run measures.
warnings.simplefilter("ignore", LegacyDatabaseAccessWarning)

ENQUEUE_TARGETS = 20
CLAIMABLE_JOBS = 10


async def sample_server_connections(dsn, peak, stop):
    connection = await asyncpg.connect(dsn)
    try:
        while not stop.is_set():
            count = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            peak[0] = max(peak[0], count)
            await asyncio.sleep(0.01)
    finally:
        await connection.close()


def request_key(kind, url):
    """Which write a request makes: the `n` of a chaos request, the content id of an enqueue."""
    return int(url.split("/")[2]) if kind == "enqueue" else url.rsplit("=", 1)[1]


async def main():
    from app.core.config import database
    from app.main import app
    from app.routers import chaos

    app.include_router(chaos.router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    report = {"unexpected": []}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://mixed") as client:
            studio_a = (await client.post("/workspaces", json={"name": "Studio A"})).json()["id"]
            await client.post("/workspaces", json={"name": "Studio B"})
            first = (await client.post(f"/workspaces/{studio_a}/content", json={"title": "Pilot"})).json()["id"]
            await client.post(f"/content/{first}/jobs", json={"kinds": ["transcode"] * CLAIMABLE_JOBS})
            targets = [(await client.post(f"/workspaces/{studio_a}/content", json={"title": f"t{i}"})).json()["id"]
                       for i in range(ENQUEUE_TARGETS)]

            plan = []  # (method, url, body, accepted statuses, kind)
            plan += [("GET", f"/workspaces/{studio_a}", None, {200}, "async router")] * 40
            plan += [("GET", f"/admin/workspaces/{studio_a}/summary", None, {200}, "bridged DAO")] * 30
            plan += [("POST", f"/workspaces/{studio_a}/content", {"title": f"load-{i}"}, {201}, "legacy facade")
                     for i in range(20)]
            plan += [("GET", f"/content/{first}", None, {200}, "legacy facade")] * 20
            plan += [("GET", f"/workspaces/{studio_a}/content", None, {200}, "legacy + converted")] * 20
            plan += [("POST", f"/content/{target}/jobs", {"kinds": ["captions", "thumbnail"]}, {201}, "enqueue")
                     for target in targets]
            plan += [("POST", "/jobs/claim", {"kind": "transcode"}, {200, 204}, "claim")] * 20
            plan += [("GET", f"/content/{first}/jobs/stats", None, {200}, "converted positional")] * 15
            plan += [("PUT", f"/admin/workspaces/{studio_a}/name", {"name": "Studio B"}, {409}, "conflict")] * 10
            plan += [("POST", "/workspaces/999999/content", {"title": "orphan"}, {404}, "missing")] * 10
            plan += [("POST", f"/chaos/partial-write/{studio_a}?n={i}", None, {500}, "partial write")
                     for i in range(10)]
            plan += [("POST", f"/chaos/slow-write/{studio_a}?n={i}", None, {200}, "slow write") for i in range(15)]
            plan += [("POST", f"/chaos/legacy-slow/{studio_a}?n={i}", None, {200}, "legacy slow")
                     for i in range(10)]
            chooser = random.Random(7)
            chooser.shuffle(plan)

            async def send(method, url, body):
                return await client.request(method, url, json=body)

            stop, peak = asyncio.Event(), [0]
            sampler = asyncio.create_task(sample_server_connections(os.environ["SAMPLER_DSN"], peak, stop))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            tasks = [asyncio.create_task(send(method, url, body)) for method, url, body, _, _ in plan]
            loop = asyncio.get_running_loop()
            for task, (_, _, _, _, kind) in zip(tasks, plan):
                if kind in ("slow write", "legacy slow", "enqueue") and chooser.random() < 0.5:
                    loop.call_later(chooser.uniform(0.02, 1.2), task.cancel)
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            report["elapsed_seconds"] = round(time.perf_counter() - started, 2)

            counts = {"ok": 0, "failed_on_purpose": 0, "cancelled": 0}
            completed = {"slow write": [], "legacy slow": [], "enqueue": []}
            cancelled = {"slow write": [], "legacy slow": [], "enqueue": []}
            claimed = []
            for (method, url, body, accepted, kind), outcome in zip(plan, outcomes):
                if isinstance(outcome, asyncio.CancelledError):
                    counts["cancelled"] += 1
                    if kind in cancelled:
                        cancelled[kind].append(request_key(kind, url))
                elif isinstance(outcome, BaseException):
                    report["unexpected"].append(f"{method} {url}: {type(outcome).__name__}: {outcome}")
                elif outcome.status_code not in accepted:
                    report["unexpected"].append(f"{method} {url}: {outcome.status_code} {outcome.text[:200]}")
                elif outcome.status_code >= 400:
                    counts["failed_on_purpose"] += 1
                else:
                    counts["ok"] += 1
                    if kind in completed:
                        completed[kind].append(request_key(kind, url))
                    elif kind == "claim" and outcome.status_code == 200:
                        claimed.append(outcome.json()["id"])
            report.update(counts, requests=len(plan), completed=completed, cancelled_requests=cancelled, claimed=claimed,
                          enqueue_targets=targets, studio_a=studio_a)
            await asyncio.sleep(0.2)
            pool = database.engine.pool
            report["pool"] = {"size": pool.size(), "checked_out": pool.checkedout(), "overflow": pool.overflow(),
                              "status": pool.status()}
            stop.set()
            await sampler
            report["peak_server_connections"] = peak[0]

            after = [await client.get(f"/admin/workspaces/{studio_a}/summary"),
                     await client.post(f"/workspaces/{studio_a}/content", json={"title": "after the storm"}),
                     await client.get(f"/content/{first}/jobs/stats")]
            report["after_storm"] = [response.status_code for response in after]
    print(json.dumps(report))


asyncio.run(main())
'''


def _mixed_state_app(tmp_path: Path) -> Path:
    project = tmp_path / FIXTURE.name
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for relative, edits in WIRING.items():
        path = project / relative
        source = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert source.count(old) == 1, f"{relative}: the wiring to replace is not there once: {old!r}"
            source = source.replace(old, new)
        path.write_text(source, encoding="utf-8")
    (project / "app/routers/admin.py").write_text(BRIDGED_ADMIN, encoding="utf-8")
    (project / "app/routers/chaos.py").write_text(CHAOS, encoding="utf-8")
    (project / "load_driver.py").write_text(DRIVER, encoding="utf-8")
    config = Config(root=project, session_factory="app.data.async_dao:AsyncSessionLocal")
    for relative in ("app/services/processing_service.py", "app/services/content_service.py"):
        path = project / relative
        result = migrate(path.read_bytes(), relative, config, FAMILIES, Selection(select=("R",)), "async")
        assert result.updated is not None, relative
        path.write_bytes(result.updated)
    return project


def _rows(url: str, sql: str) -> list[tuple]:
    connection = psycopg2_connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        connection.close()


def test_mixed_state_under_load_with_failures_and_cancellations(postgres_server_url, tmp_path):
    project = _mixed_state_app(tmp_path)
    processing = (project / "app/services/processing_service.py").read_text()
    assert "async with AsyncSessionLocal() as db:" in processing and "conn." not in processing
    with fresh_postgres_database(postgres_server_url, prefix="sqlasync_load") as url:
        environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
        environment.update(DATABASE_URL=url, SAMPLER_DSN=url)
        run = subprocess.run([sys.executable, "load_driver.py"], cwd=project, env=environment,
                             capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, describe_run(run)
        for trouble in ("Traceback", "non-checked-in connection", "never awaited", "Exception terminating"):
            assert trouble not in run.stderr, describe_run(run)
        report = json.loads(run.stdout.strip().splitlines()[-1])
        print(json.dumps({k: v for k, v in report.items()
                          if k not in ("completed", "cancelled_requests", "claimed", "enqueue_targets")}, indent=1))

        assert report["requests"] >= 200
        assert report["unexpected"] == []
        assert report["ok"] + report["failed_on_purpose"] + report["cancelled"] == report["requests"]
        assert report["failed_on_purpose"] == 30
        assert report["cancelled"] >= 10, "the cancellations must really interrupt requests"
        assert report["elapsed_seconds"] < TIME_LIMIT_SECONDS
        assert report["pool"]["checked_out"] == 0, report["pool"]
        assert report["peak_server_connections"] <= POOL_SIZE + MAX_OVERFLOW
        assert report["after_storm"] == [200, 201, 200]
        assert len(report["claimed"]) == len(set(report["claimed"])) == 10, "SKIP LOCKED hands out each job once"

        # A failed request leaves nothing; a completed one everything; a cancelled one all or nothing (it may
        # have committed just before the cancellation reached it), never half.
        completed, cancelled = report["completed"], report["cancelled_requests"]
        assert _rows(url, "SELECT name FROM characters WHERE name LIKE 'chaos-%'") == []
        slow = {name for (name,) in _rows(url, "SELECT name FROM characters WHERE name LIKE 'slow-%'")}
        assert {f"slow-{n}" for n in completed["slow write"]} <= slow
        assert slow <= {f"slow-{n}" for n in completed["slow write"] + cancelled["slow write"]}
        legacy = {t for (t,) in _rows(url, "SELECT title FROM content_items WHERE title LIKE 'legacy-slow-%'")}
        assert {f"legacy-slow-{n}" for n in completed["legacy slow"]} <= legacy
        assert legacy <= {f"legacy-slow-{n}" for n in completed["legacy slow"] + cancelled["legacy slow"]}
        queued = dict(_rows(url, "SELECT c.id, count(j.id) FROM content_items c LEFT JOIN processing_jobs j "
                                 "ON j.content_id = c.id GROUP BY c.id"))
        statuses = dict(_rows(url, "SELECT id, status FROM content_items"))
        for target in report["enqueue_targets"]:
            state = (queued[target], statuses[target])
            assert state in ((2, "processing"), (0, "draft")), (target, state)
            if target in completed["enqueue"]:
                assert state == (2, "processing"), target
            elif target not in cancelled["enqueue"]:
                raise AssertionError(f"enqueue for {target} neither completed nor was cancelled")
        assert sorted(name for (name,) in _rows(url, "SELECT name FROM workspaces")) == ["Studio A", "Studio B"]
