# expect: S102 S103 S103
# before
from sqlalchemy.orm import Session


async def transfer(db: Session, job):
    with db.begin():
        db.add(job)
    with db.begin_nested() as savepoint:
        db.add(job)
        savepoint.rollback()
# after
from sqlalchemy.ext.asyncio import AsyncSession


async def transfer(db: AsyncSession, job):
    async with db.begin():
        db.add(job)
    async with db.begin_nested() as savepoint:
        db.add(job)
        await savepoint.rollback()
