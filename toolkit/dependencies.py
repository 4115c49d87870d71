"""Packages the migrated code needs that the project does not list, with versions its pins can run.

A migration moves a project onto an async driver (aiosqlite, asyncpg, aiomysql, through the URL normaliser it
writes), onto SQLAlchemy 2.0's async API and, where code stays sync in a mixed state, onto sqlasync's compat
runtime. None of these is in the project's dependency files before the run, and the versions that work depend
on what it pins: aiosqlite 0.22 no longer runs its connection threads as daemons, and SQLAlchemy only marks them
so itself from 2.0.46 on, so with an older pin any connection left open (a leaked session that a sync driver
never minded) keeps the process alive after its last line. `migrate` says so instead of leaving it to be found
in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlasync.codemods.core import pins

# The dialects of URLs written in the code (`"sqlite:///..."`, `f"postgresql://{user}..."`).
URL_SCHEME = re.compile(r"""["'](sqlite|postgres(?:ql)?|mysql|mariadb)(?:\+\w+)?://""")
# The async driver `async_database_url` gives each dialect (codemods/bootstrap/async_url.py, compat/urls.py).
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}
# A listed sync driver means the project connects to that dialect, whatever its URLs look like.
SYNC_DRIVERS = {
    "psycopg2": "postgresql", "psycopg2-binary": "postgresql", "psycopg": "postgresql",
    "psycopg-binary": "postgresql", "pg8000": "postgresql",
    "pymysql": "mysql", "mysqlclient": "mysql", "mysql-connector-python": "mysql",
}
# What in a rewritten file shows that it runs on SQLAlchemy's async engine or on compat.
ASYNC_ENGINE_WRITTEN = re.compile(r"\b(create_async_engine|async_database_url|async_sessionmaker)\b")
COMPAT_WRITTEN = re.compile(r"^\s*(from sqlasync\.compat\b|from sqlasync import compat\b|import sqlasync\.compat\b)",
                            re.MULTILINE)
# SQLAlchemy marks aiosqlite 0.22's connection threads as daemons from this release on.
DAEMON_THREADS_SINCE = (2, 0, 46)


@dataclass(frozen=True)
class Need:
    """`requirement` (a pip requirement) is needed because of `reason`."""

    requirement: str
    reason: str


def needed_packages(root: Path, outputs: Iterable[bytes | str], sources: Iterable[Path]) -> list[Need]:
    """What the project at `root` must add to its dependencies to run `outputs` (the rewritten files); `sources`
    are the project's Python files, read for the database URLs they write."""
    outputs = [text.decode("utf-8", "replace") if isinstance(text, bytes) else text for text in outputs]
    declared = pins.declared(root)
    needs: list[Need] = []
    if any(COMPAT_WRITTEN.search(text) for text in outputs) and "sqlasync" not in declared:
        needs.append(Need("sqlasync", "code left sync is bridged through `sqlasync.compat` at run time"))
    if not any(ASYNC_ENGINE_WRITTEN.search(text) for text in outputs):
        return needs
    sqlalchemy = pins.ceiling(root, "sqlalchemy")
    if sqlalchemy is not None and not sqlalchemy.allows((2, 0)):
        needs.append(Need("sqlalchemy>=2.0", f"async_sessionmaker and DeclarativeBase are SQLAlchemy 2.0; "
                                             f"{sqlalchemy.source} pins {_version(sqlalchemy.version)}"))
    if ((sqlalchemy is None or sqlalchemy.allows((2, 1))) and "greenlet" not in declared
            and not pins.has_extra(root, "sqlalchemy", "asyncio")):
        needs.append(Need("sqlalchemy[asyncio]", "SQLAlchemy's async API runs on greenlet, which SQLAlchemy 2.1 "
                                                 "installs only with the `asyncio` extra"))
    for dialect in sorted(_dialects(declared, sources, outputs)):
        needs.extend(_driver_needs(root, ASYNC_DRIVERS[dialect], dialect, declared, sqlalchemy))
    return needs


def _driver_needs(root: Path, driver: str, dialect: str, declared: frozenset[str], sqlalchemy):
    reason = f"the {dialect} URLs are normalised to `{dialect}+{driver}`"
    old_sqlalchemy = sqlalchemy is not None and not sqlalchemy.allows(DAEMON_THREADS_SINCE)
    if driver == "aiosqlite" and old_sqlalchemy:
        listed = pins.ceiling(root, "aiosqlite")
        if driver in declared and listed is not None and not listed.allows((0, 22)):
            return
        yield Need("aiosqlite<0.22", f"{reason}; {sqlalchemy.source} pins SQLAlchemy {_version(sqlalchemy.version)}, "
                                     "which leaves aiosqlite 0.22's connection threads non-daemon: one connection "
                                     "left open keeps the process from exiting (SQLAlchemy 2.0.46 or newer lifts "
                                     "this)")
    elif driver not in declared:
        yield Need(driver, reason)


def _dialects(declared: frozenset[str], sources: Iterable[Path], outputs: list[str]) -> set[str]:
    dialects = {dialect for package, dialect in SYNC_DRIVERS.items() if package in declared}
    texts = [*outputs, *(_read(path) for path in sources)]
    for text in texts:
        for scheme in URL_SCHEME.findall(text):
            dialects.add({"postgres": "postgresql", "mariadb": "mysql"}.get(scheme, scheme))
    return dialects


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _version(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))
