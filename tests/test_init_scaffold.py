"""`sqlasync init`: the database module it writes works for real on SQLite (file and memory) and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sqlasync.cli import main

# Imports the written module with DATABASE_URL set, creates a table, and uses get_db twice: once to the
# end (commit) and once ending in an error (rollback); then reads back through a fresh session.
EXERCISE = textwrap.dedent("""
    import asyncio, json, sys
    from sqlalchemy import String, select
    from sqlalchemy.orm import Mapped, mapped_column

    from app.core import database


    class Note(database.Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(50))


    async def run_dependency(text, failure=None):
        dependency = database.get_db()
        session = await anext(dependency)
        session.add(Note(text=text))
        try:
            if failure is None:
                await anext(dependency)
            else:
                await dependency.athrow(failure)
        except (StopAsyncIteration, RuntimeError):
            pass


    async def main():
        await database.init_db()
        await run_dependency("kept")
        await run_dependency("dropped", RuntimeError("the handler failed"))
        async with database.SessionLocal() as session:
            texts = list((await session.scalars(select(Note.text))).all())
        answer = {"texts": texts, "reachable": await database.check_db_connection(), "info": database.get_db_info()}
        await database.close_db()
        print(json.dumps(answer))


    asyncio.run(main())
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    return tmp_path


def _exercise(project: Path, database_url: str, **env: str) -> dict:
    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(project), **env}
    result = subprocess.run([sys.executable, "-c", EXERCISE], cwd=project, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_init_writes_the_module_and_says_how_to_use_it(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--path", "src/shop/db.py"]) == 0
    written = tmp_path / "src/shop/db.py"
    compile(written.read_text(encoding="utf-8"), str(written), "exec")
    out = capsys.readouterr().out
    assert 'get-db = "src.shop.db:get_db"' in out and 'session-factory = "src.shop.db:SessionLocal"' in out


def test_init_refuses_to_overwrite(project: Path, capsys) -> None:
    target = project / "app/core/database.py"
    target.write_text("# mine\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["init"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "# mine\n"


def test_written_module_is_clean_for_check(project: Path, capsys) -> None:
    assert main(["check", "app", "--no-cache", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_sqlite_file_commits_rolls_back_and_uses_no_pool(project: Path, tmp_path: Path) -> None:
    answer = _exercise(project, f"sqlite:///{tmp_path / 'app.db'}")
    assert answer["texts"] == ["kept"]
    assert answer["reachable"] is True
    assert (answer["info"]["dialect"], answer["info"]["driver"], answer["info"]["pool"]) == (
        "sqlite", "aiosqlite", "NullPool")
    assert (tmp_path / "app.db").is_file()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"])
def test_sqlite_memory_shares_one_connection(project: Path, url: str) -> None:
    # Without a shared connection the table init_db creates would be gone for the next session.
    answer = _exercise(project, url)
    assert answer["texts"] == ["kept"]
    assert answer["info"]["pool"] == "StaticPool"


@pytest.mark.postgres
def test_postgresql_with_pool_settings_from_the_environment(project: Path, postgres_url: str) -> None:
    answer = _exercise(project, postgres_url, DATABASE_POOL_SIZE="3", DATABASE_MAX_OVERFLOW="2",
                       DATABASE_POOL_TIMEOUT="7", DATABASE_POOL_RECYCLE="60", SQL_ECHO="false")
    assert answer["texts"] == ["kept"]
    assert answer["reachable"] is True
    info = answer["info"]
    assert (info["dialect"], info["driver"], info["pool"]) == ("postgresql", "asyncpg", "AsyncAdaptedQueuePool")
    assert "Pool size: 3" in info["pool_status"]
    assert info["url"].startswith("postgresql+asyncpg://")


@pytest.mark.postgres
def test_health_check_answers_false_for_an_unreachable_database(project: Path, postgres_server_url: str) -> None:
    from sqlalchemy.engine import make_url

    missing = make_url(postgres_server_url).set(database="sqlasync_no_such_database")
    probe = ("import asyncio, app.core.database as d\n"
             "print(asyncio.run(d.check_db_connection()), d.get_db_info()['url'])")
    environment = {**os.environ, "DATABASE_URL": missing.render_as_string(hide_password=False),
                   "PYTHONPATH": str(project)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=project, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False postgresql+asyncpg://")
