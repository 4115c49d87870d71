import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool

from app.database import SessionLocal, engine


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


@pytest.fixture(scope="session")
async def shared_db(anyio_backend):
    async with SessionLocal() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS notes (body TEXT)"))
        await session.commit()
        try:
            yield session
        finally:
            await session.rollback()


@pytest.fixture
async def db(shared_db, anyio_backend):
    async with SessionLocal() as session:
        yield session


@pytest.fixture
async def plain_db(anyio_backend):
    async with AsyncSession(engine) as session:
        yield session


@pytest.fixture
async def connection(anyio_backend):
    async with engine.connect() as conn:
        yield conn


@pytest.fixture(scope="session")
async def database_engine(anyio_backend):
    yield engine
    await engine.dispose()
