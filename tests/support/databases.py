"""Throwaway databases for tests that need one of their own: PostgreSQL databases, folders for SQLite files."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Memory-backed on Linux. SQLite syncs each commit to disk, and a fixture's suite commits in every test: on disk it
# spent more than half its wall time waiting for those syncs (personas_alembic's suite: 20.7 s there, 9.2 s here).
# Where the file lives changes nothing the tests look at.
MEMORY_FOLDER = Path("/dev/shm")


def psycopg2_connect(url: str):
    import psycopg2

    return psycopg2.connect(url, connect_timeout=5)


def _with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database(server_url: str, prefix: str = "sqlasync") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2_connect(server_url)
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


@contextmanager
def sqlite_folder(fallback: Path) -> Iterator[Path]:
    """A fresh empty folder for SQLite files, removed afterwards: in memory where the machine lets us write there,
    else `fallback` (created here, left to pytest's tmp_path cleanup)."""
    if MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
        with tempfile.TemporaryDirectory(prefix="sqlasync-test-db-", dir=MEMORY_FOLDER) as folder:
            yield Path(folder)
        return
    fallback.mkdir(parents=True)
    yield fallback
