import pytest

from app.database import SessionLocal
from tests.fixtures import *  # noqa: F403


@pytest.fixture
def db():
    with SessionLocal() as session:
        yield session
