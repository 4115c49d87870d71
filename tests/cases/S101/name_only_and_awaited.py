# expect: S101 S101
# before
from sqlalchemy.ext.asyncio import AsyncSession


async def legacy_dao(db, job):
    db.delete(job)
    db.commit()


async def migrated(db: AsyncSession, job):
    await db.delete(job)
    await db.commit()
# after
from sqlalchemy.ext.asyncio import AsyncSession


async def legacy_dao(db, job):
    await db.delete(job)
    await db.commit()


async def migrated(db: AsyncSession, job):
    await db.delete(job)
    await db.commit()
