# expect: S101 S101
# before
import asyncio

from sqlalchemy.ext.asyncio import AsyncSession


async def forgot_await(db: AsyncSession, job):
    db.add(job)
    db.commit()
    result = db.execute(select_jobs)
    return result


async def handed_on(db: AsyncSession, other: AsyncSession):
    await asyncio.gather(db.commit(), other.commit())
    task = asyncio.create_task(db.flush())
    await task


def deferred(db: AsyncSession):
    return lambda: db.rollback()
# after
import asyncio

from sqlalchemy.ext.asyncio import AsyncSession


async def forgot_await(db: AsyncSession, job):
    db.add(job)
    await db.commit()
    result = await db.execute(select_jobs)
    return result


async def handed_on(db: AsyncSession, other: AsyncSession):
    await asyncio.gather(db.commit(), other.commit())
    task = asyncio.create_task(db.flush())
    await task


def deferred(db: AsyncSession):
    return lambda: db.rollback()
