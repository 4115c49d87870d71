"""Convert one ``DATABASE_URL`` between its async and its sync driver.

Only the scheme (``dialect+driver``) is rewritten, plus the one query key whose
name differs between psycopg2 and asyncpg (``sslmode`` / ``ssl``).  Everything
after ``://`` is otherwise kept byte for byte, so percent-encoded passwords and
query strings survive untouched: the URL is never parsed and re-rendered.

Sync targets are always explicit (``postgresql+psycopg2``, ``mysql+pymysql``)
because SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import overload

from sqlalchemy.engine import URL, make_url

__all__ = [
    "DatabaseURLError",
    "DriverInfo",
    "detect_driver",
    "to_async_url",
    "to_sync_url",
]


class DatabaseURLError(ValueError):
    """The URL names a database or driver this runtime cannot pair with an async twin."""


@dataclass(frozen=True)
class _Dialect:
    name: str
    async_driver: str
    sync_driver: str
    async_drivers: frozenset[str]
    sync_drivers: frozenset[str]


_POSTGRESQL = _Dialect(
    name="postgresql",
    async_driver="asyncpg",
    sync_driver="psycopg2",
    # psycopg (3) drives both worlds, so it is left as it is in either direction.
    async_drivers=frozenset({"asyncpg", "psycopg_async", "psycopg"}),
    sync_drivers=frozenset({"", "psycopg2", "psycopg2cffi", "pg8000", "psycopg"}),
)
_SQLITE = _Dialect(
    name="sqlite",
    async_driver="aiosqlite",
    sync_driver="",
    async_drivers=frozenset({"aiosqlite"}),
    sync_drivers=frozenset({"", "pysqlite"}),
)
_MYSQL = _Dialect(
    name="mysql",
    async_driver="aiomysql",
    sync_driver="pymysql",
    async_drivers=frozenset({"aiomysql", "asyncmy"}),
    sync_drivers=frozenset({"", "pymysql", "mysqldb", "mysqlconnector"}),
)
_MARIADB = _Dialect(
    name="mariadb",
    async_driver="aiomysql",
    sync_driver="pymysql",
    async_drivers=_MYSQL.async_drivers,
    sync_drivers=_MYSQL.sync_drivers,
)

# Scheme spellings seen in the wild mapped to SQLAlchemy's dialect name
# ("postgres://" is what Heroku-style providers hand out).
_DIALECTS: dict[str, _Dialect] = {
    "postgresql": _POSTGRESQL,
    "postgres": _POSTGRESQL,
    "sqlite": _SQLITE,
    "mysql": _MYSQL,
    "mariadb": _MARIADB,
}

# Async drivers whose own sync flavour is a better twin than the dialect default.
_SYNC_COUNTERPARTS = {"psycopg_async": "psycopg"}

_PG_SSL_KEYS = {"async": ("sslmode", "ssl"), "sync": ("ssl", "sslmode")}


@dataclass(frozen=True)
class DriverInfo:
    """What a URL's scheme says: the SQLAlchemy dialect, the driver, and its flavour."""

    dialect: str
    driver: str
    is_async: bool

    @property
    def is_asyncpg(self) -> bool:
        return self.dialect == "postgresql" and self.driver == "asyncpg"


def _split_scheme(url: str) -> tuple[_Dialect, str, str]:
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise DatabaseURLError(f"not a database URL (no '://'): {_redact(url)!r}")
    dialect_name, _, driver = scheme.lower().partition("+")
    dialect = _DIALECTS.get(dialect_name)
    if dialect is None:
        supported = ", ".join(sorted(_DIALECTS))
        raise DatabaseURLError(
            f"unsupported database {dialect_name!r} in {_redact(url)!r}; "
            f"sqlasync.compat pairs async and sync drivers for: {supported}"
        )
    if driver not in dialect.async_drivers and driver not in dialect.sync_drivers:
        raise DatabaseURLError(
            f"unknown driver {driver!r} for {dialect.name} in {_redact(url)!r}; known async drivers: "
            f"{', '.join(sorted(dialect.async_drivers))}; known sync drivers: "
            f"{', '.join(sorted(d or '(default)' for d in dialect.sync_drivers))}"
        )
    return dialect, driver, rest


def _redact(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _scheme(dialect: _Dialect, driver: str) -> str:
    return f"{dialect.name}+{driver}" if driver else dialect.name


def _rename_query_key(rest: str, old: str, new: str) -> str:
    path, question, query = rest.partition("?")
    if not question:
        return rest
    renamed = re.sub(rf"(^|&){re.escape(old)}=", rf"\g<1>{new}=", query)
    return f"{path}?{renamed}"


def detect_driver(url: str | URL) -> DriverInfo:
    """Classify a URL; raises :class:`DatabaseURLError` for databases compat cannot pair."""
    dialect, driver, _ = _split_scheme(_as_text(url))
    if driver in dialect.async_drivers:
        return DriverInfo(dialect.name, driver, is_async=True)
    return DriverInfo(dialect.name, driver or dialect.sync_driver, is_async=False)


def _as_text(url: str | URL) -> str:
    return url.render_as_string(hide_password=False) if isinstance(url, URL) else url


@overload
def to_async_url(url: str) -> str: ...
@overload
def to_async_url(url: URL) -> URL: ...
def to_async_url(url: str | URL) -> str | URL:
    """The URL for ``create_async_engine``; an already-async URL is returned unchanged."""
    text = _as_text(url)
    dialect, driver, rest = _split_scheme(text)
    if driver in dialect.async_drivers:
        converted = f"{_scheme(dialect, driver)}://{rest}"
    else:
        if dialect is _POSTGRESQL:
            rest = _rename_query_key(rest, *_PG_SSL_KEYS["async"])
        converted = f"{_scheme(dialect, dialect.async_driver)}://{rest}"
    return make_url(converted) if isinstance(url, URL) else converted


@overload
def to_sync_url(url: str) -> str: ...
@overload
def to_sync_url(url: URL) -> URL: ...
def to_sync_url(url: str | URL) -> str | URL:
    """The URL for a plain ``create_engine`` twin, with the sync driver spelled out."""
    text = _as_text(url)
    dialect, driver, rest = _split_scheme(text)
    if driver in dialect.sync_drivers and driver:
        converted = f"{_scheme(dialect, driver)}://{rest}"
    else:
        if driver == "asyncpg":
            rest = _rename_query_key(rest, *_PG_SSL_KEYS["sync"])
        sync_driver = _SYNC_COUNTERPARTS.get(driver, dialect.sync_driver)
        converted = f"{_scheme(dialect, sync_driver)}://{rest}"
    return make_url(converted) if isinstance(url, URL) else converted
