import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from app.database import SessionLocal
from tests.fixtures import *  # noqa: F403


@pytest.fixture(scope="session")
def anyio_backend():
    # Migrated async tests and fixtures run on asyncio through the anyio pytest plugin.
    return "asyncio"


@event.listens_for(Pool, "checkin")
def close_connection_on_checkin(dbapi_connection, connection_record):
    # Each TestClient and each async test runs its own event loop, and an asyncpg or aiomysql
    # connection cannot leave the loop that opened it: none is pooled for the next one.
    driver = type(connection_record.driver_connection).__module__.partition(".")[0]
    if driver in ("asyncpg", "aiomysql"):
        connection_record.invalidate()


@pytest.fixture
async def db(anyio_backend):
    async with SessionLocal() as session:
        yield session
