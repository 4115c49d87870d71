"""Throwaway PostgreSQL databases for tests that need a database of their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


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
