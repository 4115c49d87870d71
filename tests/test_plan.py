"""`sqlasync plan` and `migrate --batch 1` on a fixture: each batch, applied in order, leaves a program whose own
suite passes; the plan computed again after a batch is the old plan without it; the diff lines it announces
are those the batch writes; when every batch is applied, nothing is left to plan.

The first plan costs several in-memory migrations of the project; the rewrites it works out are kept in the
copy's cache folder (toolkit/migration_cache.py), so each `migrate --batch 1` and each plan after it runs its
search (the cuts, their soundness) again but reads back the rewrite of every file it has seen with the same
project around it. What each step still costs is mostly a run of the fixture's suite, so two fixtures: the
smallest with several batches, on SQLite and PostgreSQL, and the service locator (SQLite), whose sessions
reach services through `Container.resolve("db_session")` rather than through an import of the session
factory: its first cut must take every file that resolves one along, and its registration goes last.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.fixture_harness import FIXTURES_ROOT, describe_run, discover_fixtures, run_fixture_suite

from sqlasync.diffs import changed_lines

pytestmark = pytest.mark.slow

# Each fixture in an xdist group of its own, like the other tests that run a fixture end to end; the longest
# tests of the suite, so first in its order (tests/conftest.py).
FIXTURES = [
    pytest.param("personas_alembic", ("sqlite", "postgresql"), id="personas_alembic",
                 marks=[pytest.mark.postgres, pytest.mark.xdist_group("plan-personas_alembic"),
                        pytest.mark.slow(minutes=5)]),
    pytest.param("service_registry", ("sqlite",), id="service_registry",
                 marks=[pytest.mark.xdist_group("plan-service_registry"), pytest.mark.slow(minutes=6)]),
]
_IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".sqlasync_cache", "*.db")


def _sqlasync(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sqlasync", *args], cwd=project, capture_output=True, text=True,
                          timeout=900)


def _plan(project: Path) -> dict:
    run = _sqlasync(project, "plan", "--format", "json")
    assert run.returncode in (0, 1), describe_run(run)
    return json.loads(run.stdout)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if "__pycache__" not in p.parts}


def _without_number(batches: list[dict]) -> list[dict]:
    return [{key: value for key, value in batch.items() if key != "batch"} for batch in batches]


@pytest.mark.parametrize("fixture, databases", FIXTURES)
def test_batches_applied_in_order_keep_the_suite_green(fixture, databases, tmp_path, request, monkeypatch):
    project = next(p for p in discover_fixtures() if p.name == fixture)
    assert set(databases) <= set(project.databases)
    copy = tmp_path / "copy" / fixture
    shutil.copytree(FIXTURES_ROOT / fixture, copy, ignore=_IGNORED)
    monkeypatch.setenv("PYTHONWARNINGS", "error::RuntimeWarning")
    deselected = [argument for test in project.legacy_defects for argument in ("--deselect", test)]
    plan = _plan(copy)
    assert len(plan["batches"]) >= 2, plan

    for step, batch in enumerate(plan["batches"]):
        if step == 1:
            # The plan of the tree with batch 1 applied is the rest of the first plan, batch for batch.
            assert _without_number(_plan(copy)["batches"]) == _without_number(plan["batches"][1:])
        before = _tree(copy)
        run = _sqlasync(copy, "migrate", "--batch", "1", "--allow-dirty")
        assert run.returncode in (0, 1), describe_run(run)
        after = _tree(copy)
        changed = sorted(path for path in after if after[path] != before.get(path))
        assert changed == batch["files"], describe_run(run)
        assert sum(changed_lines(before[path], after[path]) for path in changed) == batch["diff_lines"]
        for database in databases:
            server_url = request.getfixturevalue("postgres_server_url") if database == "postgresql" else None
            suite = run_fixture_suite(copy, database, tmp_path / f"suite-{step}-{database}",
                                      postgres_server_url=server_url, pytest_args=deselected)
            output = suite.stdout + suite.stderr
            assert "was never awaited" not in output, describe_run(suite)
            assert suite.returncode == 0, f"batch {step + 1} on {database}\n{describe_run(run)}\n{describe_run(suite)}"

    assert _plan(copy)["batches"] == []
