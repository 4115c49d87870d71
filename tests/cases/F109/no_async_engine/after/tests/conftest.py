import pytest

from app.database import connect, report_engine
from search.client import create_async_engine

search_engine = create_async_engine("http://localhost:9200")


@pytest.fixture
def engine():
    return report_engine
