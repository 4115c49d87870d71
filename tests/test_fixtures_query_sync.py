"""`sqlasync migrate --target sync --select Q` keeps every fixture project's suite green and leaves nothing fixable.

Each fixture is copied, migrated (Q rules only, sync target: the code stays synchronous, so its own
tests still apply unchanged), and its suite runs on each database its fixture.toml lists. Then
`sqlasync check --select Q` on the migrated copy must report no fixable Q finding: what is left is
reported with a reason.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.fixture_harness import describe_run, discover_fixtures, run_fixture_suite

pytestmark = pytest.mark.slow

MIGRATE_ARGS = ("--target", "sync", "--select", "Q", "--no-cache")


def _fixture_cases():
    for project in discover_fixtures():
        for database in project.databases:
            marks = [pytest.mark.postgres] if database == "postgresql" else []
            yield pytest.param(project, database, id=f"{project.name}-{database}", marks=marks)


@pytest.mark.parametrize(("project", "database"), list(_fixture_cases()))
def test_query_migration_keeps_fixture_suite_green(project, database, tmp_path, request):
    server_url = request.getfixturevalue("postgres_server_url") if database == "postgresql" else None
    before = _check_q(project.path)

    result = run_fixture_suite(project.path, database, tmp_path, postgres_server_url=server_url,
                               migrate_args=MIGRATE_ARGS)

    assert result.returncode == 0, describe_run(result)
    after = _check_q(tmp_path / project.path.name)
    fixable = [f"{f['path']}:{f['line']}: {f['message']}" for f in after if f["fixable"]]
    assert fixable == [], "migrate left fixable Q findings behind"
    assert all(f["reason"] for f in after)
    # Exactly the sites check called fixable were converted; the rest are still there, with their reasons.
    assert sorted(f["reason"] for f in after) == sorted(f["reason"] for f in before if not f["fixable"])


def _check_q(project) -> list[dict]:
    check = subprocess.run(
        [sys.executable, "-m", "sqlasync", "check", "--target", "sync", "--select", "Q", "--no-cache",
         "--format", "json", str(project)],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    assert check.returncode in (0, 1), describe_run(check)
    return json.loads(check.stdout)["findings"]
