import pytest

from app.database import SessionLocal


@pytest.fixture
def db():
    yield SessionLocal()
