# expect: Q101 Q101 Q101 Q101 Q101
# target: sync
# before
from app.models import Job


def mark_stale(db, cutoff):
    for job in db.query(Job).filter(Job.updated_at < cutoff):
        job.stale = True


def job_ids(db, user_id: str):
    return [job_id for (job_id,) in db.query(Job.job_id).filter(Job.user_id == user_id)]


def statuses(db):
    return {row.job_id: row.status for row in db.query(Job.job_id, Job.status)}


def as_list(db):
    return list(db.query(Job).filter(Job.status == "queued"))


def by_status(db):
    return dict(db.query(Job.status, Job.progress).filter(Job.progress > 0))
# after
from sqlalchemy import select

from app.models import Job


def mark_stale(db, cutoff):
    for job in db.scalars(select(Job).where(Job.updated_at < cutoff)):
        job.stale = True


def job_ids(db, user_id: str):
    return [
        job_id
        for (job_id,) in db.execute(select(Job.job_id).where(Job.user_id == user_id))
    ]


def statuses(db):
    return {
        row.job_id: row.status
        for row in db.execute(select(Job.job_id, Job.status))
    }


def as_list(db):
    return db.scalars(select(Job).where(Job.status == "queued")).all()


def by_status(db):
    return dict(
        db.execute(select(Job.status, Job.progress).where(Job.progress > 0)).all()
    )
