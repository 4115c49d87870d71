import pytest
from fastapi.testclient import TestClient

from app.main import app
from app.users import add_user
from tests.support import open_session


@pytest.fixture
def db():
    session = open_session()
    yield session
    session.close()


@pytest.fixture(autouse=True)
def clean(db):
    db.execute("DELETE FROM users")


@pytest.fixture
def make_user(db):
    def _make(name="ann"):
        return add_user(db, name)

    return _make


@pytest.fixture
def client():
    with TestClient(app) as test_client:
        yield test_client
