import pytest

from .database import Session


@pytest.fixture(autouse=True)
def session():
    session = Session()
    session.begin_nested()
    yield session
    session.rollback()
