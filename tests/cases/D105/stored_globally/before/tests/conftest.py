import pytest

from app.database import SessionLocal
from app.main import app

_session = None


@pytest.fixture(scope="session")
def db():
    global _session
    _session = SessionLocal()
    yield _session
    _session.close()


@pytest.fixture
def app_db():
    session = SessionLocal()
    app.state.db = session
    yield session
    session.close()
