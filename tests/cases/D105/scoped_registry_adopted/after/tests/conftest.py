import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool
from sqlasync.compat import adopt_session, sync_twin

from app.database import Base, engine

from .database import Session
from .factories import ProjectFactory


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
async def db(anyio_backend):
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    Session.configure(bind=sync_twin(engine))
    yield
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


@pytest.fixture(scope="function", autouse=True)
def session(db):
    """A session inside a SAVEPOINT, rolled back after each test."""
    session = Session()
    session.begin_nested()
    yield adopt_session(session)
    session.rollback()


@pytest.fixture
def project(session):
    return ProjectFactory()
