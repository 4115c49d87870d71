"""End to end: `sqlasync migrate` (every rule, async target) over each fixture project.

Each fixture is copied and migrated once; then
- its own suite runs on each database its fixture.toml lists: the HTTP tests unchanged, the data-layer
  tests as the same run migrated them, with "coroutine was never awaited" turned into an error and
  neither that warning nor MissingGreenlet anywhere in the output;
- `sqlasync check` on the migrated copy reports nothing fixable, and a reason for every site left;
- a second `sqlasync migrate` would change nothing;
- ruff, with the fixture's settings, finds no import-order or line-length violation the migration added.

Tests a fixture declares as asserting a legacy defect (`legacy_defects` in its fixture.toml) must fail
on the migrated copy instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from support.fixture_harness import FIXTURES_ROOT, describe_run, discover_fixtures, run_fixture_suite

pytestmark = pytest.mark.slow

MIGRATE_ARGS = ("--no-cache", "--allow-dirty")


def _cases():
    for project in discover_fixtures():
        for database in project.databases:
            # One worker per fixture: the copy is migrated once per worker (module-scoped `migrated`).
            marks = [pytest.mark.xdist_group(project.name)]
            if database == "postgresql":
                marks.append(pytest.mark.postgres)
            yield pytest.param(project, database, id=f"{project.name}-{database}", marks=marks)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The fixture migrated once per test module (and worker): name -> (copy, migrate run)."""
    done: dict[str, tuple[Path, subprocess.CompletedProcess[str]]] = {}

    def migrate(name: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
        if name not in done:
            copy = tmp_path_factory.mktemp("migrated") / name
            shutil.copytree(FIXTURES_ROOT / name, copy, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
            done[name] = (copy, _sqlasync(copy, "migrate", *MIGRATE_ARGS))
        return done[name]

    return migrate


def _sqlasync(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sqlasync", *args, str(project)], cwd=project,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("project", "database"), list(_cases()))
def test_fixture_suite_passes_after_full_migration(project, database, migrated, tmp_path, request, monkeypatch):
    copy, run = migrated(project.name)
    assert run.returncode in (0, 1), describe_run(run)
    server_url = request.getfixturevalue("postgres_server_url") if database == "postgresql" else None
    # Inherited by the suite's process: an un-awaited coroutine is an error, not a line in a report.
    monkeypatch.setenv("PYTHONWARNINGS", "error::RuntimeWarning")

    deselected = [argument for test in project.legacy_defects for argument in ("--deselect", test)]
    result = run_fixture_suite(copy, database, tmp_path, postgres_server_url=server_url, pytest_args=deselected)

    output = result.stdout + result.stderr
    assert "was never awaited" not in output, describe_run(result)
    assert "MissingGreenlet" not in output, describe_run(result)
    assert result.returncode == 0, describe_run(result)
    if project.legacy_defects:
        # The tests that assert the legacy defect (they pass on the legacy app) fail now that it is gone.
        defects = run_fixture_suite(copy, database, tmp_path / "defects", postgres_server_url=server_url,
                                    pytest_args=list(project.legacy_defects))
        assert defects.returncode == 1, describe_run(defects)
        assert f"{len(project.legacy_defects)} failed" in defects.stdout, describe_run(defects)
        assert "AssertionError" in defects.stdout or "\nE       assert " in defects.stdout, describe_run(defects)


@pytest.mark.parametrize("project", [pytest.param(p, id=p.name, marks=pytest.mark.xdist_group(p.name))
                                     for p in discover_fixtures()])
def test_migrated_fixture_has_nothing_fixable_left_and_migrates_to_itself(project, migrated):
    copy, run = migrated(project.name)
    assert run.returncode in (0, 1), describe_run(run)

    # With the results cache: check fills it, and the second migrate reads the index back from it.
    check = _sqlasync(copy, "check", "--format", "json")
    assert check.returncode in (0, 1), describe_run(check)
    findings = json.loads(check.stdout)["findings"]
    assert [f"{f['path']}:{f['line']} {f['code']}" for f in findings if f["fixable"]] == []
    assert [f"{f['path']}:{f['line']} {f['code']}" for f in findings if not f["reason"]] == []

    again = _sqlasync(copy, "migrate", "--check", "--allow-dirty")
    assert "0 file(s) would change." in again.stdout, describe_run(again)
    # --check, like every migrate, exits 1 while sites are left for manual work.
    assert again.returncode == (1 if "left for manual work" in again.stdout else 0), describe_run(again)


@pytest.mark.xdist_group("raw_asyncpg")
def test_full_migration_moves_the_asyncpg_services_onto_the_configured_session_factory(migrated):
    """raw_asyncpg's [tool.sqlasync] session-factory is what lets R convert in a run with every rule."""
    copy, run = migrated("raw_asyncpg")
    assert run.returncode in (0, 1), describe_run(run)
    processing = (copy / "app" / "services" / "processing_service.py").read_text(encoding="utf-8")
    assert "conn." not in processing and "json.loads" not in processing, processing
    assert "from app.data.async_dao import AsyncSessionLocal" in processing
    assert "async with AsyncSessionLocal() as db:" in processing


@pytest.mark.xdist_group("flask_library")
def test_full_migration_leaves_the_flask_app_as_flask_runs_it(migrated):
    """Flask-SQLAlchemy has no AsyncSession and Flask calls views and commands synchronously: the async target
    writes no `await` and no `async def` into the Flask app, and says why for each site it leaves."""
    copy, run = migrated("flask_library")
    assert run.returncode == 1, describe_run(run)
    assert "0 file(s) changed." in run.stdout, describe_run(run)
    for path in sorted((copy / "library").glob("*.py")):
        assert (path.read_bytes() == (FIXTURES_ROOT / "flask_library" / "library" / path.name).read_bytes()), path
    assert "--target sync" in run.stdout


@pytest.mark.parametrize("project", [pytest.param(p, id=p.name, marks=pytest.mark.xdist_group(p.name))
                                     for p in discover_fixtures()])
def test_migration_adds_no_import_order_or_line_length_violation(project, migrated):
    """ruff with the fixture's own settings (its pyproject.toml): every I001 (import block not as isort orders
    it) and E501 (line past the project's length) of the migrated copy was there before the migration."""
    copy, run = migrated(project.name)
    assert run.returncode in (0, 1), describe_run(run)
    before, after = _style_violations(FIXTURES_ROOT / project.name), _style_violations(copy)
    added = sorted((after - before).elements())
    assert added == [], f"{sum(before.values())} violation(s) before the migration, {sum(after.values())} after"


def _style_violations(project: Path) -> Counter[tuple[str, str, str]]:
    """(file, code, the line itself for E501) of each violation, so that lines moving up or down do not count."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "I001,E501",
                             "--output-format", "json", "--exit-zero", "."], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, describe_run(result)
    violations: Counter[tuple[str, str, str]] = Counter()
    for violation in json.loads(result.stdout):
        path = Path(violation["filename"])
        line = ""
        if violation["code"] == "E501":
            line = path.read_text(encoding="utf-8").splitlines()[violation["location"]["row"] - 1]
        violations[(path.relative_to(project.resolve()).as_posix(), violation["code"], line)] += 1
    return violations
