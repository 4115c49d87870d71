# expect: Q101 Q101 Q101
# before
from sqlalchemy import func

from app.models import Job


async def summary(db):
    rows = db.query(Job.status, func.count(Job.id)).group_by(Job.status).all()
    return {status: count for status, count in rows}


async def latest(db, user_id: str):
    row = db.query(Job.job_id, Job.created_at).filter(Job.user_id == user_id).order_by(Job.created_at.desc()).first()
    return row.job_id if row else None


async def owners(db):
    return [row.user_id for row in db.query(Job.user_id).filter(Job.status == "queued").distinct()]
# after
from sqlalchemy import func, select

from app.models import Job


async def summary(db):
    rows = (await db.execute(select(Job.status, func.count(Job.id)).group_by(Job.status))).all()
    return {status: count for status, count in rows}


async def latest(db, user_id: str):
    row = (
        await db.execute(
            select(Job.job_id, Job.created_at).where(Job.user_id == user_id).order_by(Job.created_at.desc()).limit(1)
        )
    ).first()
    return row.job_id if row else None


async def owners(db):
    return [row.user_id for row in await db.execute(select(Job.user_id).where(Job.status == "queued").distinct())]
