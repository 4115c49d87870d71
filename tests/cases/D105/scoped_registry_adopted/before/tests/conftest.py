import pytest

from app.database import Base, engine

from .database import Session
from .factories import ProjectFactory


@pytest.fixture(scope="session")
def db():
    Base.metadata.create_all(engine)
    Session.configure(bind=engine)
    yield
    Base.metadata.drop_all(engine)


@pytest.fixture(scope="function", autouse=True)
def session(db):
    """A session inside a SAVEPOINT, rolled back after each test."""
    session = Session()
    session.begin_nested()
    yield session
    session.rollback()


@pytest.fixture
def project(session):
    return ProjectFactory()
