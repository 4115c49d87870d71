import pytest
from fastapi.testclient import TestClient

from app.main import app
from app.users import add_user
from tests.support import open_session


@pytest.fixture(scope="session")
def anyio_backend():
    # Migrated async tests and fixtures run on asyncio through the anyio pytest plugin.
    return "asyncio"


@pytest.fixture
async def db(anyio_backend):
    session = open_session()
    yield session
    await session.close()


@pytest.fixture(autouse=True)
async def clean(db, anyio_backend):
    await db.execute("DELETE FROM users")


@pytest.fixture
def make_user(db):
    async def _make(name="ann"):
        return await add_user(db, name)

    return _make


@pytest.fixture
def client():
    with TestClient(app) as test_client:
        yield test_client
