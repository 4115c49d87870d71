# expect: Q101 Q101
# before
from sqlalchemy import func, select as sa_select

from app.models import Job


async def jobs(db):
    return db.query(Job).all()


async def job_count(db, select):
    return db.query(Job).filter(Job.status == select).count()
# after
from sqlalchemy import func, select as sa_select

from app.models import Job


async def jobs(db):
    return (await db.scalars(sa_select(Job))).all()


async def job_count(db, select):
    return await db.scalar(
        sa_select(func.count()).select_from(Job).where(Job.status == select)
    )
