# expect: D101 D101 D102 S101 S101 S101 S101 S101 S101 S101 S102 S102
# before
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.core.database import SessionLocal, get_db
from app.core.service_registry import Container

DbSession = Annotated[Session, Depends(get_db)]


async def annotated(db: Session, job):
    db.add(job)
    db.commit()


async def through_alias(session: DbSession, job):
    session.refresh(job)


async def configured_alias(sess: SessionDep):
    sess.rollback()


async def dependency(database=Depends(get_db)):
    database.flush()


async def bound_from_factory():
    handle = SessionLocal()
    handle.close()


async def from_container():
    conn = Container.resolve("db_session")
    conn.commit()


@provide_session
async def injected(job_id, session=None):
    return session.get(Job, job_id)


class JobStore:
    def __init__(self):
        self.db = SessionLocal()

    async def save(self, job):
        self.db.merge(job)
# after
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import SessionLocal, get_db

DbSession = Annotated[AsyncSession, Depends(get_db)]


async def annotated(db: AsyncSession, job):
    db.add(job)
    await db.commit()


async def through_alias(session: DbSession, job):
    await session.refresh(job)


async def configured_alias(sess: SessionDep):
    await sess.rollback()


async def dependency(database=Depends(get_db)):
    await database.flush()


async def bound_from_factory():
    async with SessionLocal() as handle:
        pass


async def from_container():
    async with SessionLocal() as conn:
        await conn.commit()


@provide_session
async def injected(job_id, session=None):
    return await session.get(Job, job_id)


class JobStore:
    def __init__(self):
        self.db = SessionLocal()

    async def save(self, job):
        await self.db.merge(job)
