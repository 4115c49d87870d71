# expect: Q101 Q101 Q101 Q101 Q101
# before
from app.models import Job


async def mark_stale(db, cutoff):
    for job in db.query(Job).filter(Job.updated_at < cutoff):
        job.stale = True


async def job_ids(db, user_id: str):
    return [job_id for (job_id,) in db.query(Job.job_id).filter(Job.user_id == user_id)]


async def statuses(db):
    return {row.job_id: row.status for row in db.query(Job.job_id, Job.status)}


async def as_list(db):
    return list(db.query(Job).filter(Job.status == "queued"))


async def by_status(db):
    return dict(db.query(Job.status, Job.progress).filter(Job.progress > 0))
# after
from sqlalchemy import select

from app.models import Job


async def mark_stale(db, cutoff):
    for job in await db.scalars(select(Job).where(Job.updated_at < cutoff)):
        job.stale = True


async def job_ids(db, user_id: str):
    return [
        job_id
        for (job_id,) in await db.execute(
            select(Job.job_id).where(Job.user_id == user_id)
        )
    ]


async def statuses(db):
    return {
        row.job_id: row.status
        for row in await db.execute(select(Job.job_id, Job.status))
    }


async def as_list(db):
    return (await db.scalars(select(Job).where(Job.status == "queued"))).all()


async def by_status(db):
    return dict(
        (
            await db.execute(select(Job.status, Job.progress).where(Job.progress > 0))
        ).all()
    )
