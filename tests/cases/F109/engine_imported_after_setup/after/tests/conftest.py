"""The app reads DATABASE_URL at import time."""

import os

import pytest

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")

from app.database import SessionLocal, engine  # noqa: E402
from sqlalchemy import event


@event.listens_for(engine.sync_engine, "checkin")
def close_connection_on_checkin(dbapi_connection, connection_record):
    # Each TestClient and each async test runs its own event loop; an asyncpg or aiomysql connection
    # cannot leave the loop that opened it, so none is pooled for the next one (aiosqlite can be).
    if engine.dialect.driver != "aiosqlite":
        connection_record.invalidate()


@pytest.fixture
def session_factory():
    return SessionLocal
