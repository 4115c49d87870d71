import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.database import SessionLocal, engine


@pytest.fixture(scope="session")
def shared_db():
    session = SessionLocal()
    session.execute(text("CREATE TABLE IF NOT EXISTS notes (body TEXT)"))
    session.commit()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def db(shared_db):
    yield SessionLocal()


@pytest.fixture
def plain_db():
    return Session(engine)


@pytest.fixture
def connection():
    conn = engine.connect()
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def database_engine():
    yield engine
    engine.dispose()
