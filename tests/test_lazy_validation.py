"""F205's output runs: pydantic validation of ORM objects inside `session.run_sync` loads what the schema reads.

The golden case F205/validated_in_greenlet, migrated, on a real SQLite database (aiosqlite): its schema
reads a relationship nothing loaded, which is exactly what raises MissingGreenlet outside `run_sync`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect
from support.migrated_cases import migrated_app, sqlite_sessions

CASE = Path(__file__).parent / "cases" / "F205" / "validated_in_greenlet"


@pytest.fixture
def app_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    yield from migrated_app(CASE, tmp_path, monkeypatch, "models", "schemas", "repository")


def test_validation_in_run_sync_loads_the_relationships_the_schema_reads(app_modules) -> None:
    models, schemas, repository = app_modules
    assert "run_sync" in Path(repository.__file__).read_text()

    async def scenario() -> None:
        engine, factory = await sqlite_sessions(models.Base.metadata)
        async with factory() as session:
            session.add(models.Group(id=1, name="g", users=[models.User(id=1), models.User(id=2)]))
            await session.commit()
        async with factory() as session:
            repo = repository.Repository(session, models.Group, schemas.GroupOut)
            [group] = await repo.many([1])
            assert [user.id for user in group.users] == [1, 2]
            assert await repo.names([1]) == {"g"}
            patched = await repo.patch(1, {"name": "k"})
            assert (patched["name"], [user["id"] for user in patched["users"]]) == ("k", [1, 2])
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
