"""The app reads DATABASE_URL at import time."""

import os

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")

from app.database import SessionLocal  # noqa: E402


@event.listens_for(Pool, "checkin")
def close_connection_on_checkin(dbapi_connection, connection_record):
    # Each TestClient and each async test runs its own event loop, and an asyncpg or aiomysql
    # connection cannot leave the loop that opened it: none is pooled for the next one.
    driver = type(connection_record.driver_connection).__module__.partition(".")[0]
    if driver in ("asyncpg", "aiomysql"):
        connection_record.invalidate()


@pytest.fixture
def session_factory():
    return SessionLocal
