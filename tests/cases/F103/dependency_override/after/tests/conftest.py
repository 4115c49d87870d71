import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.pool import Pool

from app.api import router
from app.database import SessionLocal, get_db

app = FastAPI()


@event.listens_for(Pool, "checkin")
def close_connection_on_checkin(dbapi_connection, connection_record):
    # Each TestClient and each async test runs its own event loop, and an asyncpg or aiomysql
    # connection cannot leave the loop that opened it: none is pooled for the next one.
    driver = type(connection_record.driver_connection).__module__.partition(".")[0]
    if driver in ("asyncpg", "aiomysql"):
        connection_record.invalidate()


app.include_router(router)


async def override_get_db():
    async with SessionLocal() as db:
        yield db


@pytest.fixture
def client():
    app.dependency_overrides[get_db] = override_get_db
    yield TestClient(app)
