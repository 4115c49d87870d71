"""A golden repository case's migrated project, imported: before/ with after/'s files (only those that changed)
over it, its package `app` importable for the length of one test."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def migrated_app(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 *modules: str) -> Iterator[tuple[ModuleType, ...]]:
    """For a fixture to `yield from`: the modules `app.<name>` of the migrated case, forgotten afterwards."""
    shutil.copytree(case / "before", tmp_path, dirs_exist_ok=True)
    shutil.copytree(case / "after", tmp_path, dirs_exist_ok=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in _app_modules():
        monkeypatch.delitem(sys.modules, name)
    yield tuple(importlib.import_module(f"app.{name}") for name in modules)
    for name in _app_modules():
        del sys.modules[name]


def _app_modules() -> list[str]:
    return [name for name in sys.modules if name == "app" or name.startswith("app.")]


async def sqlite_sessions(metadata: MetaData) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """An in-memory aiosqlite database with `metadata`'s tables, and a session factory on it."""
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return engine, async_sessionmaker(engine, expire_on_commit=False)
