# expect: Q101 Q101
# before
import sqlalchemy as sa

from app.models import Job


async def jobs(db):
    return db.query(Job).all()


async def job_count(db):
    return db.query(Job).filter(Job.status == "queued").count()
# after
import sqlalchemy as sa

from app.models import Job


async def jobs(db):
    return (await db.scalars(sa.select(Job))).all()


async def job_count(db):
    return await db.scalar(
        sa.select(sa.func.count()).select_from(Job).where(Job.status == "queued")
    )
