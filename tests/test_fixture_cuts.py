"""The cut property: `migrate` over any part of a fixture leaves a program whose own suite passes, or it
refuses the cut (exit 2) and writes nothing.

A cut is one `.py` file or one folder of the fixture. Every cut costs a migrate (the repository index of
the whole fixture) and, when it changes files, a run of the fixture's suite, so CI runs a sample drawn with
a fixed seed: SAMPLE_FILES files and SAMPLE_FOLDERS folders per fixture, on its first database.
`SQLASYNC_CUTS=all` runs every cut (the figures in the README and the notes come from such runs).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.fixture_harness import (
    FIXTURES_ROOT,
    describe_run,
    discover_fixtures,
    run_fixture_suite,
)

pytestmark = pytest.mark.slow

SEED = 20261206
SAMPLE_FILES = 2
SAMPLE_FOLDERS = 1
REFUSED = 2
_DATABASE_WORDS = re.compile(rb"\b(db|session|Session|SessionLocal|get_db|conn|pool|engine)\b")
_IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".sqlasync_cache", "*.db")


def _cuts(project) -> tuple[list[str], list[str]]:
    files = sorted(p.relative_to(project.path).as_posix() for p in project.path.rglob("*.py")
                   if "__pycache__" not in p.parts)
    folders = sorted({Path(f).parent.as_posix() for f in files} - {"."})
    return files, folders


def _sample(project) -> list[str]:
    files, folders = _cuts(project)
    if os.environ.get("SQLASYNC_CUTS") == "all":
        return files + folders
    rng = random.Random(f"{SEED}:{project.name}")
    # Files with no database access (package markers, schemas) are cuts that change nothing: draw from the rest.
    worth = [f for f in files if _DATABASE_WORDS.search((project.path / f).read_bytes())]
    return sorted(rng.sample(worth, min(SAMPLE_FILES, len(worth)))) + sorted(
        rng.sample(folders, min(SAMPLE_FOLDERS, len(folders))))


def _params():
    for project in discover_fixtures():
        database = project.databases[0]
        marks = [pytest.mark.xdist_group(f"cuts-{project.name}")]
        if database == "postgresql":
            marks.append(pytest.mark.postgres)
        for cut in _sample(project):
            yield pytest.param(project, database, cut, id=f"{project.name}:{cut}", marks=marks)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not {"__pycache__", ".sqlasync_cache"} & set(p.parts)}


@pytest.mark.parametrize(("project", "database", "cut"), list(_params()))
def test_a_cut_is_migrated_to_a_working_program_or_refused(project, database, cut, tmp_path, request, monkeypatch):
    copy = tmp_path / "copy" / project.name
    shutil.copytree(FIXTURES_ROOT / project.name, copy, ignore=_IGNORED)
    before = _tree(copy)
    run = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--no-cache", "--allow-dirty", cut],
                         cwd=copy, capture_output=True, text=True, timeout=600)
    after = _tree(copy)
    if run.returncode == REFUSED:
        assert "refusing to migrate" in run.stderr, describe_run(run)
        assert after == before, "a refused cut must write nothing"
        return
    assert run.returncode in (0, 1), describe_run(run)
    if after == before:
        return  # nothing in the cut to migrate: the legacy suite (test_fixtures_legacy.py) covers it
    server_url = request.getfixturevalue("postgres_server_url") if database == "postgresql" else None
    monkeypatch.setenv("PYTHONWARNINGS", "error::RuntimeWarning")
    deselected = [argument for test in project.legacy_defects for argument in ("--deselect", test)]
    result = run_fixture_suite(copy, database, tmp_path / "suite", postgres_server_url=server_url,
                               pytest_args=deselected)
    output = result.stdout + result.stderr
    assert "was never awaited" not in output, describe_run(result)
    assert "MissingGreenlet" not in output, describe_run(result)
    assert result.returncode == 0, f"{describe_run(run)}\n{describe_run(result)}"


@pytest.mark.xdist_group("cuts-personas_alembic")
def test_a_cut_without_the_database_module_leaves_the_engine_calls_sync(tmp_path):
    """personas_alembic's conftest calls `engine.dispose()` on the engine `app/database.py` builds: migrating the
    conftest alone keeps that engine sync, so the call stays as it is (it became `asyncio.run(engine.dispose())`,
    and pytest failed at exit on `asyncio.run(None)`), and no pool listener for async engines is added."""
    copy = tmp_path / "personas_alembic"
    shutil.copytree(FIXTURES_ROOT / "personas_alembic", copy, ignore=_IGNORED)
    before = (copy / "tests" / "conftest.py").read_bytes()
    command = [sys.executable, "-m", "sqlasync", "migrate", "--no-cache", "--allow-dirty", "tests/conftest.py"]
    run = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), describe_run(run)
    assert (copy / "tests" / "conftest.py").read_bytes() == before
