"""Run a fixture project's own test suite in a scratch copy against a fresh database.

The fixture source tree is never touched: each run copies it, optionally migrates the copy
with `python -m sqlasync migrate`, and runs the copy's pytest in a separate process with
DATABASE_URL pointing at a database created for that run alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.databases import fresh_postgres_database, sqlite_folder

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_ROOT = REPO_ROOT / "fixtures"
SUPPORTED_DATABASES = ("sqlite", "postgresql")
# `sqlasync migrate` exits 2 when it could not do its job (bad usage, crash); other codes report findings.
MIGRATE_FAILURE_EXIT_CODE = 2
RUN_TIMEOUT_SECONDS = 600
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.db", "*.db-journal")


class FixtureHarnessError(RuntimeError):
    pass


@dataclass(frozen=True)
class FixtureProject:
    name: str
    path: Path
    databases: tuple[str, ...]
    # Test ids that assert a defect of the legacy code on purpose: they pass before migration and must
    # fail once the migration has removed the defect.
    legacy_defects: tuple[str, ...] = ()


def discover_fixtures(root: Path = FIXTURES_ROOT) -> list[FixtureProject]:
    """Every `<root>/*/fixture.toml`, with the databases it declares, sorted by name."""
    projects = []
    for manifest in sorted(root.glob("*/fixture.toml")):
        with manifest.open("rb") as handle:
            settings = tomllib.load(handle)
        databases = settings.get("databases")
        if not isinstance(databases, list) or not databases or not all(isinstance(db, str) for db in databases):
            raise FixtureHarnessError(f"{manifest}: `databases` must be a non-empty list of names")
        defects = settings.get("legacy_defects", [])
        if not isinstance(defects, list) or not all(isinstance(test, str) for test in defects):
            raise FixtureHarnessError(f"{manifest}: `legacy_defects` must be a list of test ids")
        projects.append(FixtureProject(manifest.parent.name, manifest.parent, tuple(databases), tuple(defects)))
    return projects


def run_fixture_suite(
    fixture_dir: Path,
    database: str,
    tmp_path: Path,
    postgres_server_url: str | None = None,
    migrate_args: Sequence[str] | None = None,
    pytest_args: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Copy the fixture into tmp_path, migrate the copy if asked, run its tests (`pytest_args` select
    or deselect some); return the pytest process."""
    if database not in SUPPORTED_DATABASES:
        raise FixtureHarnessError(f"unsupported database {database!r}; expected one of {SUPPORTED_DATABASES}")
    if database == "postgresql" and postgres_server_url is None:
        raise FixtureHarnessError("a postgresql run needs postgres_server_url")
    project = copy_fixture(fixture_dir, tmp_path)
    if migrate_args is not None:
        migrate_copy(project, migrate_args)
    with _database_url(database, tmp_path, postgres_server_url) as database_url:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
            cwd=project,
            env=_suite_environment(database_url),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
        )


def copy_fixture(fixture_dir: Path, destination: Path) -> Path:
    """A copy of the fixture (without caches and databases) as `destination/<its name>`."""
    project = destination / Path(fixture_dir).name
    shutil.copytree(fixture_dir, project, ignore=_COPY_IGNORE)
    return project


def migrate_copy(project: Path, migrate_args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run `python -m sqlasync migrate <args> <project>` inside the project; raise if it exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "sqlasync", "migrate", *migrate_args, str(project)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    if result.returncode == MIGRATE_FAILURE_EXIT_CODE:
        raise FixtureHarnessError(f"sqlasync migrate failed on {project}\n{describe_run(result)}")
    return result


def describe_run(result: subprocess.CompletedProcess[str]) -> str:
    """Command, exit status and both output streams, for assertion messages."""
    command = " ".join(str(part) for part in result.args)
    return (f"$ {command}\nexit status {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")


@contextmanager
def _database_url(database: str, tmp_path: Path, postgres_server_url: str | None) -> Iterator[str]:
    if database == "sqlite":
        with sqlite_folder(tmp_path / "database") as database_dir:
            yield f"sqlite:///{database_dir / 'fixture.db'}"
        return
    with fresh_postgres_database(postgres_server_url, prefix="sqlasync_fixture") as url:
        yield url


def _suite_environment(database_url: str) -> dict[str, str]:
    # The outer pytest's own settings (PYTEST_ADDOPTS, xdist worker ids, ...) must not leak into the inner run.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    environment["DATABASE_URL"] = database_url
    return environment
