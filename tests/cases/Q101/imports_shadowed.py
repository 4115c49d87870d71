# expect: Q101
# before
from app.models import Job


async def search(db, select: str):
    return db.query(Job).filter(Job.title.contains(select)).all()
# after
from sqlalchemy import select as sa_select

from app.models import Job


async def search(db, select: str):
    return (await db.scalars(sa_select(Job).where(Job.title.contains(select)))).all()
