# expect: Q101 Q101
# target: sync
# before
from app.models import Job


def list_jobs(db, user_id=None, status=None):
    query = db.query(Job)
    if user_id is not None:
        query = query.filter(Job.user_id == user_id)
    if status is not None:
        query = query.filter_by(status=status)
    return query.order_by(Job.created_at.desc()).all()


def job_ids(db, status: str):
    failed = db.query(Job.job_id).filter(Job.status == status)
    return [job_id for (job_id,) in failed.all()]
# after
from sqlalchemy import select

from app.models import Job


def list_jobs(db, user_id=None, status=None):
    query = select(Job)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    if status is not None:
        query = query.where(Job.status == status)
    return db.scalars(query.order_by(Job.created_at.desc())).all()


def job_ids(db, status: str):
    failed = select(Job.job_id).where(Job.status == status)
    return [job_id for (job_id,) in db.execute(failed).all()]
