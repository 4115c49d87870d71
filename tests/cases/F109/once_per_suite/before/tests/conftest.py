import pytest

from app.database import engine


@pytest.fixture
def url():
    return engine.url
