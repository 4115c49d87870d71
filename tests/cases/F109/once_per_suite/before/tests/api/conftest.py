import pytest

from app.database import SessionLocal


@pytest.fixture
def factory():
    return SessionLocal
