from contextlib import asynccontextmanager

from app.database import SessionLocal


@asynccontextmanager
async def session_context():
    """A session for scripts and jobs, closed on the way out."""
    async with SessionLocal() as session:
        yield session
