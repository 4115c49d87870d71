import pytest

from app.services import ping


@pytest.mark.anyio
async def test_ping(db):
    assert await ping(db) == 1
