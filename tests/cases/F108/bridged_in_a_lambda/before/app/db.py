from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite:///app.db")
SessionLocal = sessionmaker(bind=engine)


@contextmanager
def session_context():
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()
