"""Fixtures for the compat runtime tests: one event loop per test, a compat Database on a fresh database."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import sqlasync.compat.database as compat_database
from sqlasync.compat import Database

_LEGACY_MODULE = "sqlasync_compat_tests_legacy_jobs"


@pytest.fixture(scope="session")
def legacy() -> ModuleType:
    """tests/compat/legacy_jobs.py: models plus a legacy sync DAO."""
    if _LEGACY_MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(_LEGACY_MODULE, Path(__file__).with_name("legacy_jobs.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_LEGACY_MODULE] = module
        spec.loader.exec_module(module)
    return sys.modules[_LEGACY_MODULE]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The one event loop of a test: setup, the test body and teardown all run on it."""
    event_loop = asyncio.new_event_loop()
    try:
        yield event_loop
    finally:
        event_loop.run_until_complete(event_loop.shutdown_asyncgens())
        event_loop.close()


@pytest.fixture
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    """No process-wide compat.configure() leaks into or out of the test."""
    monkeypatch.setattr(compat_database, "_current", None)


def open_database(url: str, loop: asyncio.AbstractEventLoop, legacy: ModuleType, **options: object) -> Database:
    database = Database(url, **options)

    async def create_tables() -> None:
        async with database.engine.begin() as connection:
            await connection.run_sync(legacy.Base.metadata.create_all)

    loop.run_until_complete(create_tables())
    return database


@pytest.fixture
def db(database_url: str, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> Iterator[Database]:
    """A compat Database (pool_size 5) with the legacy tables, on SQLite and on PostgreSQL."""
    database = open_database(database_url, loop, legacy, pool_size=5, max_overflow=0)
    try:
        yield database
    finally:
        loop.run_until_complete(database.dispose())


@pytest.fixture
def pg_db(postgres_url: str, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> Iterator[Database]:
    database = open_database(postgres_url, loop, legacy, pool_size=5, max_overflow=0)
    try:
        yield database
    finally:
        loop.run_until_complete(database.dispose())


@pytest.fixture
def sqlite_db(sqlite_url: str, loop: asyncio.AbstractEventLoop, legacy: ModuleType) -> Iterator[Database]:
    database = open_database(sqlite_url, loop, legacy, pool_size=5, max_overflow=0)
    try:
        yield database
    finally:
        loop.run_until_complete(database.dispose())
