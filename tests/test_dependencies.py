"""What `migrate` says the migrated code needs: the async driver per dialect, at a version the pins can run."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.dependencies import needed_packages

ASYNC_MODULE = """\
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine(async_database_url(DATABASE_URL))
"""
BRIDGED_MODULE = "from sqlasync.compat import call_legacy\n"


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _requirements(root: Path, outputs=(ASYNC_MODULE,), sources=()) -> dict[str, str]:
    return {need.requirement: need.reason
            for need in needed_packages(root, list(outputs), [root / source for source in sources])}


def test_old_sqlalchemy_pin_caps_aiosqlite_below_the_release_whose_threads_keep_a_process_alive(tmp_path):
    _project(tmp_path, {"requirements.txt": "SQLAlchemy==2.0.36\n",
                        "app/settings.py": 'URL = f"sqlite:///{path}"\n'})
    needs = _requirements(tmp_path, sources=["app/settings.py"])
    assert list(needs) == ["aiosqlite<0.22"]
    assert "requirements.txt pins SQLAlchemy 2.0.36" in needs["aiosqlite<0.22"]
    assert "keeps the process from exiting" in needs["aiosqlite<0.22"]


def test_a_newer_sqlalchemy_takes_any_aiosqlite(tmp_path):
    _project(tmp_path, {"requirements.txt": "sqlalchemy[asyncio]>=2.0.46,<2.1\n",
                        "app/settings.py": 'URL = "sqlite:///./app.db"\n'})
    assert list(_requirements(tmp_path, sources=["app/settings.py"])) == ["aiosqlite"]


def test_a_listed_aiosqlite_below_022_is_enough_under_an_old_pin(tmp_path):
    _project(tmp_path, {"requirements.txt": "SQLAlchemy==2.0.36\naiosqlite<0.22\n",
                        "app/settings.py": 'URL = "sqlite:///./app.db"\n'})
    assert _requirements(tmp_path, sources=["app/settings.py"]) == {}


def test_a_listed_aiosqlite_that_may_be_022_is_capped_under_an_old_pin(tmp_path):
    _project(tmp_path, {"requirements.txt": "SQLAlchemy==2.0.36\naiosqlite>=0.19\n",
                        "app/settings.py": 'URL = "sqlite:///./app.db"\n'})
    assert list(_requirements(tmp_path, sources=["app/settings.py"])) == ["aiosqlite<0.22"]


def test_a_listed_sync_driver_names_the_dialect_without_any_url(tmp_path):
    _project(tmp_path, {"requirements.txt": "sqlalchemy[asyncio]==2.0.40\npsycopg2-binary\npymysql\n"})
    needs = _requirements(tmp_path)
    assert list(needs) == ["aiomysql", "asyncpg"]
    assert needs["asyncpg"] == "the postgresql URLs are normalised to `postgresql+asyncpg`"


def test_postgres_and_mariadb_schemes_are_their_dialects(tmp_path):
    _project(tmp_path, {"requirements.txt": "sqlalchemy[asyncio]==2.0.40\n",
                        "db.py": 'A = "postgres://u@h/d"\nB = "mariadb+pymysql://u@h/d"\n'})
    assert list(_requirements(tmp_path, sources=["db.py"])) == ["aiomysql", "asyncpg"]


def test_sqlalchemy_21_needs_its_asyncio_extra_for_greenlet(tmp_path):
    _project(tmp_path, {"requirements.txt": "sqlalchemy>=2.0\nasyncpg\n"})
    assert list(_requirements(tmp_path)) == ["sqlalchemy[asyncio]"]
    (tmp_path / "requirements.txt").write_text("sqlalchemy>=2.0\nasyncpg\ngreenlet\n")
    assert _requirements(tmp_path) == {}


def test_poetry_extras_count_as_the_asyncio_extra(tmp_path):
    _project(tmp_path, {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
                                          'sqlalchemy = {version = "^2.0.46", extras = ["asyncio"]}\n'
                                          'asyncpg = "^0.30"\n'})
    assert _requirements(tmp_path) == {}


def test_sqlalchemy_14_pin_is_named(tmp_path):
    _project(tmp_path, {"requirements.txt": "SQLAlchemy==1.4.52\nasyncpg\n"})
    needs = _requirements(tmp_path)
    assert needs["sqlalchemy>=2.0"].endswith("requirements.txt pins 1.4.52")


def test_compat_is_needed_only_where_the_output_imports_it(tmp_path):
    _project(tmp_path, {"requirements.txt": "sqlalchemy[asyncio]==2.0.40\nasyncpg\n"})
    assert _requirements(tmp_path, outputs=[BRIDGED_MODULE]) == {
        "sqlasync": "code left sync is bridged through `sqlasync.compat` at run time"}
    (tmp_path / "requirements.txt").write_text("sqlalchemy[asyncio]==2.0.40\nasyncpg\nsqlasync>=0.1\n")
    assert _requirements(tmp_path, outputs=[BRIDGED_MODULE]) == {}


def test_output_without_the_async_engine_needs_no_driver(tmp_path):
    _project(tmp_path, {"app/settings.py": 'URL = "sqlite:///./app.db"\n'})
    assert _requirements(tmp_path, outputs=["x = 1\n"], sources=["app/settings.py"]) == {}


def test_migrate_prints_what_the_migrated_code_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    _project(tmp_path, {
        "pyproject.toml": "[tool.sqlasync]\n",
        "requirements.txt": "SQLAlchemy==2.0.36\nfastapi\n",
        "app/database.py": 'from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n'
                           'engine = create_engine("sqlite:///./app.db")\n'
                           'SessionLocal = sessionmaker(bind=engine)\n',
    })
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "--check", "--no-cache", "."]) == 1
    out = capsys.readouterr().out
    assert "The migrated code would need 1 package(s) the project does not list:" in out
    assert "  aiosqlite<0.22  the sqlite URLs are normalised to `sqlite+aiosqlite`;" in out
