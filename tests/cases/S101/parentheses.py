# expect: S101 S101 S101 S101 S101 S101 S102
# before
from sqlalchemy import select
from sqlalchemy.orm import Session


async def shapes(db: Session, ids):
    names = db.execute(select(Job.name)).scalars().all()
    total = db.scalar(select(Job.id)) + 1
    missing = not db.get(Job, 1)
    jobs = [db.get(Job, i) for i in ids]
    for job in db.scalars(select(Job)):
        db.refresh(job)
    return names, total, missing, jobs
# after
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


async def shapes(db: AsyncSession, ids):
    names = (await db.execute(select(Job.name))).scalars().all()
    total = await db.scalar(select(Job.id)) + 1
    missing = not await db.get(Job, 1)
    jobs = [await db.get(Job, i) for i in ids]
    for job in await db.scalars(select(Job)):
        await db.refresh(job)
    return names, total, missing, jobs
