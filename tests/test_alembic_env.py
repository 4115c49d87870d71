"""E106 on a real Alembic project: after `sqlasync migrate` rewrites only alembic/env.py, upgrade, downgrade
and offline mode still work, on SQLite and on PostgreSQL, through the async drivers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from sqlasync.compat import to_sync_url

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = REPO_ROOT / "fixtures" / "personas_alembic"
APP_TABLES = {"users", "personas"}


@pytest.fixture(scope="module")
def migrated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("personas_alembic") / "project"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    result = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "alembic/env.py", "--select", "E106"],
                            cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fixed     1 E106" in result.stderr + result.stdout
    # PostgreSQL's sync driver cannot be imported in these runs: the migrated env.py must never need it.
    blocked = project.parent / "blocked" / "psycopg2"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('psycopg2 is blocked in this test')\n")
    return project


def _alembic(project: Path, database_url: str, *arguments: str, ini: Path | None = None,
             check: bool = True) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url,
                   "PYTHONPATH": os.pathsep.join([str(project.parent / "blocked"), str(project)])}
    result = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ini or project / "alembic.ini"), *arguments],
                            cwd=project, env=environment, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _tables(url: str) -> set[str]:
    engine = create_engine(to_sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _round_trip(project: Path, database_url: str) -> None:
    _alembic(project, database_url, "upgrade", "head")
    assert _tables(database_url) == APP_TABLES | {"alembic_version"}
    assert "(head)" in _alembic(project, database_url, "current").stdout
    _alembic(project, database_url, "downgrade", "base")
    assert _tables(database_url) == {"alembic_version"}
    _alembic(project, database_url, "upgrade", "head")
    assert _tables(database_url) == APP_TABLES | {"alembic_version"}


def test_env_py_is_the_async_form(migrated_project: Path) -> None:
    text = (migrated_project / "alembic" / "env.py").read_text(encoding="utf-8")
    assert "async_engine_from_config(" in text and "await connection.run_sync(do_run_migrations)" in text
    assert "asyncio.run(run_async_migrations())" in text
    # Offline mode and the URL override from DATABASE_URL are the fixture's own code, untouched.
    assert "def run_migrations_offline() -> None:" in text and 'config.set_main_option("sqlalchemy.url"' in text


def test_second_migrate_changes_nothing(migrated_project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "alembic/env.py", "--select", "E106",
                             "--check"], cwd=migrated_project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_upgrade_and_downgrade_on_sqlite(migrated_project: Path, tmp_path: Path) -> None:
    database = tmp_path / "personas.db"
    _round_trip(migrated_project, f"sqlite:///{database}")


@pytest.mark.postgres
def test_upgrade_and_downgrade_on_postgresql(migrated_project: Path, postgres_url: str) -> None:
    # env.py pins DATABASE_URL to psycopg2; the migrated env.py must run it on asyncpg (psycopg2 is blocked).
    _round_trip(migrated_project, postgres_url)


@pytest.mark.postgres
def test_the_legacy_env_py_needs_the_blocked_driver(migrated_project: Path, postgres_url: str, tmp_path: Path) -> None:
    # The control for the test above: the fixture's own env.py, under the same block, cannot connect.
    legacy = tmp_path / "legacy"
    shutil.copytree(FIXTURE / "alembic", legacy / "alembic")
    ini = legacy / "alembic.ini"
    ini.write_text((FIXTURE / "alembic.ini").read_text(encoding="utf-8"), encoding="utf-8")
    result = _alembic(migrated_project, postgres_url, "upgrade", "head", ini=ini, check=False)
    assert result.returncode != 0 and "psycopg2 is blocked" in result.stderr


def test_upgrade_from_inside_a_running_event_loop(migrated_project: Path, tmp_path: Path) -> None:
    # Migrated async tests and async start-up code call Alembic's command API with their loop running.
    database = tmp_path / "from_async.db"
    program = (
        "import asyncio\n"
        "from alembic import command\n"
        "from alembic.config import Config\n"
        "async def main():\n"
        f"    command.upgrade(Config({str(migrated_project / 'alembic.ini')!r}), 'head')\n"
        "asyncio.run(main())\n"
    )
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(migrated_project)}
    result = subprocess.run([sys.executable, "-c", program], cwd=migrated_project, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert _tables(f"sqlite:///{database}") == APP_TABLES | {"alembic_version"}


def test_offline_mode_still_renders_sql(migrated_project: Path, tmp_path: Path) -> None:
    script = _alembic(migrated_project, f"sqlite:///{tmp_path / 'unused.db'}", "upgrade", "head", "--sql").stdout
    assert "CREATE TABLE users" in script and "CREATE TABLE personas" in script
    assert not (tmp_path / "unused.db").exists()
