"""DATABASE_URL conversion between async and sync drivers."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from sqlasync.compat.urls import DatabaseURLError, DriverInfo, detect_driver, to_async_url, to_sync_url

# (given, async twin, sync twin)
CONVERSIONS = [
    ("sqlite:///./app.db", "sqlite+aiosqlite:///./app.db", "sqlite:///./app.db"),
    ("sqlite+pysqlite:////abs/app.db", "sqlite+aiosqlite:////abs/app.db", "sqlite+pysqlite:////abs/app.db"),
    ("sqlite+aiosqlite:///./app.db", "sqlite+aiosqlite:///./app.db", "sqlite:///./app.db"),
    ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:", "sqlite:///:memory:"),
    ("postgres://u:pw@db:5432/app", "postgresql+asyncpg://u:pw@db:5432/app", "postgresql+psycopg2://u:pw@db:5432/app"),
    ("postgresql://u@db/app", "postgresql+asyncpg://u@db/app", "postgresql+psycopg2://u@db/app"),
    ("postgresql+psycopg2://u@db/app", "postgresql+asyncpg://u@db/app", "postgresql+psycopg2://u@db/app"),
    ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app", "postgresql+psycopg2://u@db/app"),
    ("postgresql+pg8000://u@db/app", "postgresql+asyncpg://u@db/app", "postgresql+pg8000://u@db/app"),
    ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
    ("postgresql+psycopg_async://u@db/app", "postgresql+psycopg_async://u@db/app", "postgresql+psycopg://u@db/app"),
    ("mysql://r@db:3306/app", "mysql+aiomysql://r@db:3306/app", "mysql+pymysql://r@db:3306/app"),
    ("mysql+pymysql://r@db/app", "mysql+aiomysql://r@db/app", "mysql+pymysql://r@db/app"),
    ("mysql+aiomysql://r@db/app", "mysql+aiomysql://r@db/app", "mysql+pymysql://r@db/app"),
    ("mysql+asyncmy://r@db/app", "mysql+asyncmy://r@db/app", "mysql+pymysql://r@db/app"),
    ("mariadb://r@db/app", "mariadb+aiomysql://r@db/app", "mariadb+pymysql://r@db/app"),
]


@pytest.mark.parametrize(("given", "async_url", "sync_url"), CONVERSIONS)
def test_conversion_table(given: str, async_url: str, sync_url: str) -> None:
    assert to_async_url(given) == async_url
    assert to_sync_url(given) == sync_url
    # Each twin converts back to itself: conversions are idempotent.
    assert to_async_url(async_url) == async_url
    assert to_sync_url(sync_url) == sync_url


def test_explicit_async_url_is_returned_untouched() -> None:
    url = "postgresql+asyncpg://app:s3cret@db.internal:6432/jobs?prepared_statement_cache_size=0&ssl=require"
    assert to_async_url(url) == url


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://app:p%40ss%3Aw%2Frd%25@db:5432/jobs",
        "postgres://app:p%40ss%3Aw%2Frd%25@db/jobs?application_name=api&connect_timeout=10",
        "mysql://app:p%40ss%3Aw%2Frd%25@db/jobs?charset=utf8mb4",
    ],
)
def test_percent_encoded_special_password_survives_byte_for_byte(given: str) -> None:
    for converted in (to_async_url(given), to_sync_url(given)):
        assert converted.partition("://")[2] == given.partition("://")[2]
        assert make_url(converted).password == "p@ss:w/rd%"


def test_raw_special_characters_are_not_reencoded() -> None:
    # Not a valid URL for SQLAlchemy's parser, but compat must not make it worse.
    given = "postgresql://app:p@ss:w/rd%@db:5432/jobs?x=1"
    assert to_async_url(given) == "postgresql+asyncpg://app:p@ss:w/rd%@db:5432/jobs?x=1"


def test_query_string_is_kept_except_the_ssl_key_rename() -> None:
    given = "postgresql://u@db/app?sslmode=require&application_name=a%20b&options=-c%20statement_timeout%3D5000"
    async_url = to_async_url(given)
    assert async_url == "postgresql+asyncpg://u@db/app?ssl=require&application_name=a%20b&options=-c%20statement_timeout%3D5000"
    assert to_sync_url(async_url) == "postgresql+psycopg2://u@db/app?sslmode=require&application_name=a%20b&options=-c%20statement_timeout%3D5000"
    # A key that merely ends in "sslmode" is not touched.
    assert to_async_url("postgresql://u@db/app?not_sslmode=1") == "postgresql+asyncpg://u@db/app?not_sslmode=1"


def test_url_objects_round_trip_as_url_objects() -> None:
    url = make_url("postgresql://app:p%40ss@db/jobs")
    converted = to_async_url(url)
    assert converted.drivername == "postgresql+asyncpg"
    assert converted.password == "p@ss"
    assert to_sync_url(converted).drivername == "postgresql+psycopg2"


@pytest.mark.parametrize(
    ("url", "info"),
    [
        ("postgresql://u@db/app", DriverInfo("postgresql", "psycopg2", is_async=False)),
        ("postgres://u@db/app", DriverInfo("postgresql", "psycopg2", is_async=False)),
        ("postgresql+asyncpg://u@db/app", DriverInfo("postgresql", "asyncpg", is_async=True)),
        ("sqlite+aiosqlite:///x.db", DriverInfo("sqlite", "aiosqlite", is_async=True)),
        ("mysql+aiomysql://r@db/app", DriverInfo("mysql", "aiomysql", is_async=True)),
    ],
)
def test_driver_detection(url: str, info: DriverInfo) -> None:
    assert detect_driver(url) == info
    assert detect_driver(url).is_asyncpg == (info.driver == "asyncpg")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("oracle://scott:tiger@db/orcl", "unsupported database 'oracle'"),
        ("mssql+pyodbc://sa:pw@db/app", "unsupported database 'mssql'"),
        ("postgresql+notadriver://u@db/app", "unknown driver 'notadriver' for postgresql"),
        ("just-a-path.db", "no '://'"),
    ],
)
def test_unsupported_urls_raise_a_clear_error(url: str, fragment: str) -> None:
    with pytest.raises(DatabaseURLError, match=fragment):
        to_async_url(url)
    with pytest.raises(DatabaseURLError, match=fragment):
        to_sync_url(url)


def test_error_messages_never_show_the_password() -> None:
    with pytest.raises(DatabaseURLError) as raised:
        to_async_url("oracle://scott:tiger-secret@db/orcl")
    assert "tiger-secret" not in str(raised.value)
