from contextlib import contextmanager

from app.database import SessionLocal


@contextmanager
def session_context():
    """A session for scripts and jobs, closed on the way out."""
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()
