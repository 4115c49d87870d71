import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api import router
from app.database import SessionLocal, get_db

app = FastAPI()
app.include_router(router)


def override_get_db():
    try:
        db = SessionLocal()
        yield db
    finally:
        db.close()


@pytest.fixture
def client():
    app.dependency_overrides[get_db] = override_get_db
    yield TestClient(app)
