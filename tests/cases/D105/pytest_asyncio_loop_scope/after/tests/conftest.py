import pytest
import pytest_asyncio
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool

from app.database import SessionLocal, engine


@event.listens_for(Pool, "checkin")
def close_connection_on_checkin(dbapi_connection, connection_record):
    # Each TestClient and each async test runs its own event loop, and an asyncpg or aiomysql
    # connection cannot leave the loop that opened it: none is pooled for the next one.
    driver = type(connection_record.driver_connection).__module__.partition(".")[0]
    if driver in ("asyncpg", "aiomysql"):
        connection_record.invalidate()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_db():
    async with SessionLocal() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS notes (body TEXT)"))
        await session.commit()
        try:
            yield session
        finally:
            await session.rollback()


@pytest_asyncio.fixture(loop_scope="session")
async def db(shared_db):
    async with SessionLocal() as session:
        yield session


@pytest_asyncio.fixture
async def plain_db():
    async with AsyncSession(engine) as session:
        yield session


@pytest_asyncio.fixture
async def connection():
    async with engine.connect() as conn:
        yield conn


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_engine():
    yield engine
    await engine.dispose()
