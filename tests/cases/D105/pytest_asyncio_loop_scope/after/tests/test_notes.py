import pytest
from sqlalchemy import text

from app.notes import add_note, count_notes


@pytest.mark.asyncio(loop_scope="session")
async def test_add_note(db):
    await add_note(db, "first")
    assert await count_notes(db) >= 1


@pytest.mark.asyncio(loop_scope="session")
async def test_shared_session_sees_notes(shared_db):
    assert await count_notes(shared_db) >= 0


@pytest.mark.asyncio
async def test_plain_session(plain_db):
    assert await count_notes(plain_db) >= 0


@pytest.mark.asyncio
async def test_connection(connection):
    assert (await connection.execute(text("SELECT 1"))).scalar() == 1


def test_engine_url(database_engine):
    assert database_engine.dialect.name in ("sqlite", "postgresql")
