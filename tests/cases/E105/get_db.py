# expect: E105 E105
# before
from collections.abc import Iterator
from typing import Generator

from sqlalchemy.orm import Session

from app.core.database import SessionLocal


def get_db() -> Generator[Session, None, None]:
    """One session per request."""
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


async def get_async_db():
    async with AsyncSessionLocal() as db:
        yield db


def get_db_names():
    return ["a", "b"]
# after
from collections.abc import AsyncIterator
from typing import AsyncGenerator

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import SessionLocal


async def get_db() -> AsyncGenerator[AsyncSession, None]:
    """One session per request."""
    async with SessionLocal() as db:
        try:
            yield db
            await db.commit()
        except Exception:
            await db.rollback()
            raise


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


async def get_async_db():
    async with AsyncSessionLocal() as db:
        yield db


def get_db_names():
    return ["a", "b"]
