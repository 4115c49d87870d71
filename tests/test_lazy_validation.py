"""F205's output runs: pydantic validation of ORM objects inside `session.run_sync` loads what the schema reads.

The golden case F205/validated_in_greenlet, migrated, on a real SQLite database (aiosqlite): its schema
reads a relationship nothing loaded, which is exactly what raises MissingGreenlet outside `run_sync`.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

CASE = Path(__file__).parent / "cases" / "F205" / "validated_in_greenlet"


@pytest.fixture
def app_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    # The migrated project: before/, with the files after/ holds (only those that changed) over it.
    shutil.copytree(CASE / "before", tmp_path, dirs_exist_ok=True)
    shutil.copytree(CASE / "after", tmp_path, dirs_exist_ok=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        monkeypatch.delitem(sys.modules, name)
    yield (importlib.import_module("app.models"), importlib.import_module("app.schemas"),
           importlib.import_module("app.repository"))
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]


def test_validation_in_run_sync_loads_the_relationships_the_schema_reads(app_modules) -> None:
    models, schemas, repository = app_modules
    assert "run_sync" in Path(repository.__file__).read_text()

    async def scenario() -> None:
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
        factory = async_sessionmaker(engine, expire_on_commit=False)
        async with factory() as session:
            session.add(models.Group(id=1, name="g", users=[models.User(id=1), models.User(id=2)]))
            await session.commit()
        async with factory() as session:
            repo = repository.Repository(session, models.Group, schemas.GroupOut)
            [group] = await repo.many([1])
            assert [user.id for user in group.users] == [1, 2]
            assert await repo.names([1]) == {"g"}
            created = await repo.create({"id": 2, "name": "h"})
            assert (created.name, created.users) == ("h", [])
            [made] = await repo.create_many([{"id": 3, "name": "i"}])
            [renamed] = await repo.rename_all({3: "j"})
            assert (renamed.name, renamed.users) == ("j", [])
            assert (made.name, made.users) == ("i", [])
        async with factory() as session:
            # The case is what it claims: the schema reads a relationship that nothing loaded, so validating
            # outside run_sync would have to load it implicitly (MissingGreenlet under asyncio).
            group = await session.get(models.Group, 1)
            assert "users" in inspect(group).unloaded
            assert (await repository.group_out(session, 1)).users[1].id == 2
        await engine.dispose()

    asyncio.run(scenario())
