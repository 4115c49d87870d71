"""Legacy access is reported once per call site, for the application's own file:line, and logged as JSON lines."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import Depends, FastAPI

from sqlasync import compat
from sqlasync.compat import (
    Database,
    LegacyContainer,
    LegacyDatabaseAccessWarning,
    LegacySessionFactory,
    LegacySessionScopeMiddleware,
    call_legacy,
    legacy_dao,
    legacy_session_scope,
)
from sqlasync.compat.runtime_log import RUNTIME_LOG_ENV

HERE = os.path.abspath(__file__)


def line_of(marker: str) -> int:
    """Line number in this file of the (unique) line ending with ``# <marker>``."""
    lines = Path(HERE).read_text().splitlines()
    matches = [number for number, line in enumerate(lines, 1) if line.rstrip().endswith(f"# {marker}")]
    assert len(matches) == 1, marker
    return matches[0]


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def runtime_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "legacy.jsonl"
    monkeypatch.setenv(RUNTIME_LOG_ENV, str(path))
    return path


def test_session_local_warns_once_per_call_site_with_the_callers_line(
    sqlite_db: Database, runtime_log: Path, legacy: ModuleType
) -> None:
    factory = LegacySessionFactory(sqlite_db)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            factory().close()  # marker:loop-site
        factory().close()  # marker:second-site
    legacy_warnings = [w for w in caught if issubclass(w.category, LegacyDatabaseAccessWarning)]
    assert [(w.filename, w.lineno) for w in legacy_warnings] == [
        (HERE, line_of("marker:loop-site")),
        (HERE, line_of("marker:second-site")),
    ]
    assert issubclass(LegacyDatabaseAccessWarning, DeprecationWarning)
    assert "[D101]" in str(legacy_warnings[0].message) and "SessionLocal" in str(legacy_warnings[0].message)

    records = read_log(runtime_log)
    assert records == [
        {"version": 1, "entry": "SessionLocal", "code": "D101", "path": HERE, "line": line_of("marker:loop-site"),
         "function": "test_session_local_warns_once_per_call_site_with_the_callers_line", "pid": os.getpid()},
        {"version": 1, "entry": "SessionLocal", "code": "D101", "path": HERE, "line": line_of("marker:second-site"),
         "function": "test_session_local_warns_once_per_call_site_with_the_callers_line", "pid": os.getpid()},
    ]


def test_every_entry_point_reports_its_rule_code(
    sqlite_db: Database, runtime_log: Path, legacy: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    db = sqlite_db
    container = LegacyContainer(db)
    bridged_get_job = legacy_dao(legacy.get_job)
    pool = db.asyncpg_pool()

    async def scenario() -> None:
        async with db.sessionmaker() as session:
            await call_legacy(session, legacy.count_jobs)  # site:call_legacy
            await bridged_get_job(session, "x")  # site:legacy_dao
        async with pool.acquire() as connection:  # site:acquire
            await connection.fetch("SELECT 1")  # site:fetch
            await connection.fetchrow("SELECT 1")  # site:fetchrow
            await connection.fetchval("SELECT 1")  # site:fetchval
            await connection.execute("SELECT 1")  # site:execute
            await connection.executemany("SELECT $1", [(1,)])  # site:executemany
            async with connection.transaction():  # site:transaction
                pass
        await pool.fetchval("SELECT 1")  # site:pool-fetchval

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with legacy_session_scope():
            container.resolve("db_session")  # site:resolve
        with LegacySessionFactory(db).begin():  # site:begin
            pass
        loop.run_until_complete(scenario())

    seen = {(record["entry"], record["code"], record["line"]) for record in read_log(runtime_log)}
    expected = {
        ("Container.resolve", "D102", line_of("site:resolve")),
        ("SessionLocal.begin", "D101", line_of("site:begin")),
        ("call_legacy", "S101", line_of("site:call_legacy")),
        ("legacy_dao", "S101", line_of("site:legacy_dao")),
        ("Pool.acquire", "R102", line_of("site:acquire")),
        ("Connection.fetch", "R103", line_of("site:fetch")),
        ("Connection.fetchrow", "R103", line_of("site:fetchrow")),
        ("Connection.fetchval", "R103", line_of("site:fetchval")),
        ("Connection.execute", "R103", line_of("site:execute")),
        ("Connection.executemany", "R103", line_of("site:executemany")),
        ("Connection.transaction", "R104", line_of("site:transaction")),
        ("Pool.fetchval", "R103", line_of("site:pool-fetchval")),
    }
    assert seen == expected
    targets = {record["entry"]: record.get("target") for record in read_log(runtime_log)}
    assert targets["call_legacy"] == f"{legacy.__name__}.count_jobs"
    assert targets["legacy_dao"] == f"{legacy.__name__}.get_job"


def test_sync_get_db_under_depends_is_attributed_to_the_route(
    sqlite_url: str, runtime_log: Path, legacy: ModuleType, unconfigured: None
) -> None:
    database = compat.configure(sqlite_url)
    legacy.Base.metadata.create_all(database.sync_engine)
    app = FastAPI()

    @app.get("/jobs")
    def list_jobs(db=Depends(compat.get_db)) -> int:  # noqa: B008 - the legacy pattern under test
        return db.query(legacy.Job).count()

    app.add_middleware(LegacySessionScopeMiddleware)

    async def request() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return (await http.get("/jobs")).json()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert asyncio.run(request()) == 0
    [record] = read_log(runtime_log)
    assert (record["entry"], record["code"]) == ("get_db", "E105")
    assert (record["path"], record["line"], record["function"]) == (
        HERE, inspect.getsourcelines(list_jobs)[1], "list_jobs")
    database.sync_engine.dispose()


def test_a_warning_filter_set_to_error_still_logs(sqlite_db: Database, runtime_log: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LegacyDatabaseAccessWarning)
        with pytest.raises(LegacyDatabaseAccessWarning):
            LegacySessionFactory(sqlite_db)()  # site:error-filter
    assert [record["line"] for record in read_log(runtime_log)] == [line_of("site:error-filter")]


def test_processes_append_whole_lines_to_one_log(tmp_path: Path) -> None:
    log = tmp_path / "shared.jsonl"
    script = textwrap.dedent(
        """
        import sys, warnings
        from sqlasync.compat import LegacySessionFactory, Database
        warnings.simplefilter("ignore")
        factory = LegacySessionFactory(Database(sys.argv[1]))
        for _ in range(3):
            factory().close()
        for line in range(200):
            exec(compile("\\n" * line + "factory().close()", "/app/generated.py", "exec"))
        """
    )
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {**os.environ, RUNTIME_LOG_ENV: str(log)}
    workers = [
        subprocess.Popen([sys.executable, "-c", script, database_url], env=env) for _ in range(4)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0, 0]
    records = read_log(log)  # every line parses: no interleaving
    assert len(records) == 4 * (1 + 200)
    assert len({record["pid"] for record in records}) == 4
    generated = [record for record in records if record["path"] == "/app/generated.py"]
    assert sorted({record["line"] for record in generated}) == list(range(1, 201))
