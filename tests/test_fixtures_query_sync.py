"""`sqlasync migrate --target sync --select Q` keeps every fixture project's suite green and leaves nothing fixable.

Each fixture is copied and migrated (Q rules only, sync target: the code stays synchronous, so its own
tests still apply unchanged) once per worker, and its suite runs on each database its fixture.toml lists.
Then `sqlasync check --select Q` on the migrated copy must report no fixable Q finding: what is left is
reported with a reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.fixture_harness import (
    copy_fixture,
    describe_run,
    discover_fixtures,
    migrate_copy,
    run_fixture_suite,
)

pytestmark = pytest.mark.slow

MIGRATE_ARGS = ("--target", "sync", "--select", "Q", "--no-cache")


def _fixture_cases():
    for project in discover_fixtures():
        for database in project.databases:
            # One worker per fixture: it migrates the fixture once for all its databases (`query_migrated`).
            marks = [pytest.mark.xdist_group(f"query-sync-{project.name}")]
            if database == "postgresql":
                marks.append(pytest.mark.postgres)
            yield pytest.param(project, database, id=f"{project.name}-{database}", marks=marks)


@dataclass(frozen=True)
class QueryMigration:
    before: list[dict]  # the Q findings on the fixture as it ships
    copy: Path  # the fixture migrated with MIGRATE_ARGS
    after: list[dict]  # the Q findings on the migrated copy


@pytest.fixture(scope="module")
def query_migrated(tmp_path_factory):
    """Each fixture checked, migrated and checked again once per module (and worker), whatever the database:
    the migration does not depend on it, only the suite run on the copy does."""
    done: dict[str, QueryMigration] = {}

    def migrated(project) -> QueryMigration:
        if project.name not in done:
            copy = copy_fixture(project.path, tmp_path_factory.mktemp("query-migrated"))
            before = _check_q(project.path)
            migrate_copy(copy, MIGRATE_ARGS)
            done[project.name] = QueryMigration(before, copy, _check_q(copy))
        return done[project.name]

    return migrated


@pytest.mark.parametrize(("project", "database"), list(_fixture_cases()))
def test_query_migration_keeps_fixture_suite_green(project, database, query_migrated, tmp_path, request):
    server_url = request.getfixturevalue("postgres_server_url") if database == "postgresql" else None
    migration = query_migrated(project)

    result = run_fixture_suite(migration.copy, database, tmp_path, postgres_server_url=server_url)

    assert result.returncode == 0, describe_run(result)
    fixable = [f"{f['path']}:{f['line']}: {f['message']}" for f in migration.after if f["fixable"]]
    assert fixable == [], "migrate left fixable Q findings behind"
    assert all(f["reason"] for f in migration.after)
    # Exactly the sites check called fixable were converted; the rest are still there, with their reasons.
    assert sorted(f["reason"] for f in migration.after) == sorted(
        f["reason"] for f in migration.before if not f["fixable"])


def _check_q(project) -> list[dict]:
    check = subprocess.run(
        [sys.executable, "-m", "sqlasync", "check", "--target", "sync", "--select", "Q", "--no-cache",
         "--format", "json", str(project)],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    assert check.returncode in (0, 1), describe_run(check)
    return json.loads(check.stdout)["findings"]
