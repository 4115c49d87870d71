# expect: Q101 Q101 Q101 Q101 Q101
# before
from app.models import Job, ProcessingLog


async def list_jobs(db, user_id=None, status=None, active_only=False):
    query = db.query(Job)
    if user_id is not None:
        query = query.filter(Job.user_id == user_id)
    if status is not None:
        query = query.filter_by(status=status)
    elif active_only:
        query = query.filter(Job.status.in_(("queued", "running")))
    return query.order_by(Job.created_at.desc()).all()


async def job_logs(db, job_id: str, level=None):
    query = db.query(ProcessingLog).filter_by(job_id=job_id)
    if level is not None:
        query = query.filter_by(level=level)
    total = query.count()
    return total, query.order_by(ProcessingLog.id).limit(50).all()


async def filtered(db, filters):
    query = db.query(Job)
    for field, value in filters.items():
        query = query.filter(getattr(Job, field) == value)
    return [job.job_id for job in query]


async def unreferenced_jobs(db):
    referenced = db.query(ProcessingLog.job_id)
    return db.query(Job).filter(Job.job_id.not_in(referenced)).all()
# after
from sqlalchemy import func, select

from app.models import Job, ProcessingLog


async def list_jobs(db, user_id=None, status=None, active_only=False):
    query = select(Job)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    if status is not None:
        query = query.where(Job.status == status)
    elif active_only:
        query = query.where(Job.status.in_(("queued", "running")))
    return (await db.scalars(query.order_by(Job.created_at.desc()))).all()


async def job_logs(db, job_id: str, level=None):
    query = select(ProcessingLog).where(ProcessingLog.job_id == job_id)
    if level is not None:
        query = query.where(ProcessingLog.level == level)
    total = await db.scalar(select(func.count()).select_from(query.subquery()))
    return total, (await db.scalars(query.order_by(ProcessingLog.id).limit(50))).all()


async def filtered(db, filters):
    query = select(Job)
    for field, value in filters.items():
        query = query.where(getattr(Job, field) == value)
    return [job.job_id for job in await db.scalars(query)]


async def unreferenced_jobs(db):
    referenced = select(ProcessingLog.job_id)
    return (await db.scalars(select(Job).where(Job.job_id.not_in(referenced)))).all()
