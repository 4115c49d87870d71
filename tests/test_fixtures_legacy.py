"""Every fixture project's own suite passes, unmigrated, on each database its fixture.toml lists."""

from __future__ import annotations

import pytest
from support.fixture_harness import FIXTURES_ROOT, describe_run, discover_fixtures, run_fixture_suite

pytestmark = pytest.mark.slow


def _fixture_cases():
    for project in discover_fixtures():
        for database in project.databases:
            marks = [pytest.mark.postgres] if database == "postgresql" else []
            yield pytest.param(project, database, id=f"{project.name}-{database}", marks=marks)


def test_fixture_projects_are_discovered():
    projects = {project.name: project for project in discover_fixtures()}

    assert "jobs_api" in projects, f"no fixture.toml found under {FIXTURES_ROOT}"
    assert projects["jobs_api"].databases == ("sqlite", "postgresql")


@pytest.mark.parametrize(("project", "database"), list(_fixture_cases()))
def test_fixture_suite_passes_before_migration(project, database, tmp_path, request):
    server_url = request.getfixturevalue("postgres_server_url") if database == "postgresql" else None

    result = run_fixture_suite(project.path, database, tmp_path, postgres_server_url=server_url)

    assert result.returncode == 0, describe_run(result)
