"""The URL normaliser E101/E106 write into migrated modules agrees with `sqlasync.compat.to_async_url`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import URL, make_url

from sqlasync.codemods.bootstrap.async_url import SOURCE, literal_async_url
from sqlasync.compat import to_async_url

CONVERTED = [
    ("sqlite:///./jobs.db", "sqlite+aiosqlite:///./jobs.db"),
    ("sqlite://", "sqlite+aiosqlite://"),
    ("sqlite+pysqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ("postgresql://app:secret@db:5432/jobs", "postgresql+asyncpg://app:secret@db:5432/jobs"),
    ("postgres://app@db/jobs", "postgresql+asyncpg://app@db/jobs"),
    ("postgresql+psycopg2://app@db/jobs?sslmode=require", "postgresql+asyncpg://app@db/jobs?ssl=require"),
    ("postgresql+pg8000://app@db/jobs", "postgresql+asyncpg://app@db/jobs"),
    ("postgresql://app:p%40ss%2Fword@db/jobs", "postgresql+asyncpg://app:p%40ss%2Fword@db/jobs"),
    ("mysql://app@db/jobs?charset=utf8mb4", "mysql+aiomysql://app@db/jobs?charset=utf8mb4"),
    ("mysql+pymysql://app@db/jobs", "mysql+aiomysql://app@db/jobs"),
    ("mariadb+mysqlconnector://app@db/jobs", "mariadb+aiomysql://app@db/jobs"),
]
KEPT = ["sqlite+aiosqlite:///x.db", "postgresql+asyncpg://app@db/jobs", "postgresql+psycopg://app@db/jobs",
        "mysql+asyncmy://app@db/jobs", "mysql+aiomysql://app@db/jobs"]


@pytest.fixture(scope="module")
def async_database_url():
    namespace = {"URL": URL, "make_url": make_url}
    exec(compile(SOURCE, "async_database_url", "exec"), namespace)
    return namespace["async_database_url"]


@pytest.mark.parametrize(("legacy", "converted"), CONVERTED)
def test_sync_urls_get_the_async_driver(async_database_url, legacy: str, converted: str) -> None:
    assert async_database_url(legacy) == make_url(converted)
    assert async_database_url(legacy) == make_url(to_async_url(legacy))
    assert async_database_url(make_url(legacy)) == make_url(converted)


@pytest.mark.parametrize("url", KEPT)
def test_async_urls_are_kept(async_database_url, url: str) -> None:
    assert async_database_url(url) == make_url(url) == make_url(to_async_url(url))


def test_unknown_databases_pass_through(async_database_url) -> None:
    # compat refuses these; the generated helper leaves them for create_async_engine to judge.
    assert async_database_url("oracle://scott@db/orcl") == make_url("oracle://scott@db/orcl")
    assert literal_async_url("oracle://scott@db/orcl") is None


@given(
    scheme=st.sampled_from(["sqlite", "postgresql", "postgres", "postgresql+psycopg2", "mysql", "mysql+pymysql",
                            "mariadb", "postgresql+asyncpg", "sqlite+aiosqlite", "mysql+aiomysql"]),
    user=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12),
    password=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=12),
    database=st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
)
def test_agrees_with_compat_on_any_credentials(async_database_url, scheme, user, password, database) -> None:
    url = URL.create(scheme, username=user, password=password or None, host="db", database=database)
    rendered = url.render_as_string(hide_password=False)
    assert async_database_url(rendered) == make_url(to_async_url(rendered))
