import pytest

from app.notes import count_notes


@pytest.mark.anyio
async def test_no_notes(db):
    assert await count_notes(db) == 0


@pytest.mark.anyio
async def test_app_db(app_db):
    assert await count_notes(app_db) == 0
