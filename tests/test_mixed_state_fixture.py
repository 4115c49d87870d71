"""`fixtures/raw_asyncpg` keeps passing its own suite, on PostgreSQL, in the states a migration goes through.

* services only: `sqlasync migrate app/services` converts the asyncpg services; routers, the sync DAO
  and the pool stay legacy, and the routers keep handing the services a raw asyncpg pool;
* the asyncpg layer: `sqlasync migrate --select R` over the whole project (every rule is
  tests/test_fixtures_migrated.py's job, with the blocker it names).

The fixture ships `session-factory` in [tool.sqlasync] (the app's async session factory, which the R
rules open instead of the pool). Its copy is prepared the way its owner would before migrating (never
edited in place): the suite's session-wide event loop disposes the app's async engine after each test.
That is test infrastructure: once the services use the engine, the data tests (driven on that loop) and
the HTTP tests (one loop per TestClient) would otherwise share pooled asyncpg connections across event
loops. The HTTP tests run byte for byte as the fixture ships them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.fixture_harness import FIXTURES_ROOT, describe_run, run_fixture_suite

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FIXTURE = FIXTURES_ROOT / "raw_asyncpg"
ENGINE_PER_EVENT_LOOP = '''

@pytest.fixture(autouse=True)
def async_engine_per_event_loop(run):
    """Pooled asyncpg connections belong to the loop that opened them: none may outlive a test."""
    yield
    from app.data.async_dao import get_async_engine

    run(get_async_engine().dispose())
'''
HTTP_TESTS = sorted(p.relative_to(FIXTURE) for p in (FIXTURE / "tests").glob("test_http_*.py"))


def _prepared(tmp_path: Path) -> Path:
    project = tmp_path / "prepared" / FIXTURE.name
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    with (project / "tests" / "conftest.py").open("a", encoding="utf-8") as conftest:
        conftest.write(ENGINE_PER_EVENT_LOOP)
    return project


def _migrate(project: Path, *arguments: str) -> None:
    result = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--no-cache", *arguments],
                            cwd=project, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), describe_run(result)


def _suite_passes(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, describe_run(result)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"failed|error", summary), summary


def _http_tests_untouched(project: Path) -> None:
    assert HTTP_TESTS
    for relative in HTTP_TESTS:
        assert (project / relative).read_bytes() == (FIXTURE / relative).read_bytes(), relative


def _source(project: Path, relative: str) -> str:
    return (project / relative).read_text(encoding="utf-8")


def test_services_only(postgres_server_url, tmp_path):
    project = _prepared(tmp_path)
    before = {p.relative_to(project): p.read_bytes() for p in project.rglob("*.py")}

    _migrate(project, "app/services")

    changed = {p for p, content in before.items() if (project / p).read_bytes() != content}
    assert changed == {Path("app/services/processing_service.py"), Path("app/services/content_service.py")}
    processing = _source(project, "app/services/processing_service.py")
    assert "pool.acquire" not in processing and "conn." not in processing and "json.loads" not in processing
    assert "async with AsyncSessionLocal() as db:" in processing and "(await db.execute(" in processing
    content = _source(project, "app/services/content_service.py")
    # list_content interpolates `sort` (X101) and shares `_content` with its neighbours: they stay on asyncpg.
    assert 'f"FROM content_items WHERE workspace_id = $1 ORDER BY {sort}' in content
    assert "json.loads(row[\"meta\"])" in content and "return status.rowcount == 1" in content
    assert "pool: asyncpg.Pool = Depends(get_pool)" in _source(project, "app/routers/content.py")

    result = run_fixture_suite(project, "postgresql", tmp_path / "run", postgres_server_url=postgres_server_url)

    _suite_passes(result)
    _http_tests_untouched(tmp_path / "run" / FIXTURE.name)


def test_asyncpg_layer(postgres_server_url, tmp_path):
    project = _prepared(tmp_path)

    result = run_fixture_suite(project, "postgresql", tmp_path / "run", postgres_server_url=postgres_server_url,
                               migrate_args=["--select", "R", "--no-cache"])

    _suite_passes(result)
    migrated = tmp_path / "run" / FIXTURE.name
    _http_tests_untouched(migrated)
    assert "conn.fetch" not in _source(migrated, "app/services/processing_service.py")
    # The pool itself and the DDL script (several statements: asyncpg's simple protocol) are left, with reasons.
    assert "asyncpg.create_pool(" in _source(migrated, "app/core/database.py")
    assert "await conn.execute(SCHEMA_SQL)" in _source(migrated, "app/core/schema.py")
