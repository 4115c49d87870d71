from app.services import ping
import pytest


@pytest.mark.anyio
async def test_ping(db):
    assert await ping(db) == 1
