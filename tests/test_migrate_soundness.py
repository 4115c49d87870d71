"""`migrate` checks the whole program it would leave before it writes: a cut that breaks code outside it is
refused (exit 2, nothing written, the files that must come along named), or widened by --with-dependents."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support.database_modules import SYNC_DATABASE

from sqlasync.cli import main
from sqlasync.codemods.postcondition import violations_of

# A start-up check outside the migrated path: with an async SessionLocal its execute() would build a
# coroutine nobody awaits, and it would print "ready" without touching the database.
READINESS = """
    from sqlalchemy import text

    from app.database import SessionLocal


    def check_ready():
        db = SessionLocal()
        db.execute(text("SELECT 1"))
        db.close()
        print("ready")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in {"app/__init__.py": "", "app/database.py": SYNC_DATABASE, "app/readiness.py": READINESS,
                       "pyproject.toml": "[tool.sqlasync]\n"}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_a_cut_that_breaks_code_outside_it_is_refused_and_writes_nothing(project, capsys):
    before = _tree(project)
    assert main(["migrate", "--no-cache", "--allow-dirty", "app/database.py"]) == 2
    assert _tree(project) == before
    errors = capsys.readouterr().err
    assert "refusing to migrate" in errors and "nothing was written" in errors
    assert "app/readiness.py must come along" in errors
    assert "AsyncSession.execute() is called without `await` in sync `check_ready`" in errors
    assert "--with-dependents" in errors


def test_with_dependents_takes_the_users_along_and_leaves_a_sound_program(project, capsys):
    assert main(["migrate", "--no-cache", "--allow-dirty", "--with-dependents", "app/database.py"]) in (0, 1)
    after = _tree(project)
    assert "async def check_ready" in after["app/readiness.py"].decode()
    assert "await db.execute" in after["app/readiness.py"].decode()
    assert violations_of(after) == []


def test_the_whole_project_is_not_refused(project, capsys):
    assert main(["migrate", "--no-cache", "--allow-dirty", "."]) in (0, 1)
    assert violations_of(_tree(project)) == []
