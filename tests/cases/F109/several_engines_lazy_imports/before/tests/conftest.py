import pytest


@pytest.fixture
def url():
    from app.database import engine

    return engine.url
