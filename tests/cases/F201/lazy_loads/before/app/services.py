from sqlalchemy.orm import selectinload

from app.models import Clip, Job


def clip_count(db, job_id: int) -> int:
    job = db.query(Job).filter(Job.id == job_id).one()
    return len(job.clips)


def get_job(db, job_id: int) -> Job:
    return db.query(Job).filter(Job.id == job_id).one()


def job_with_clips(db, job_id: int) -> Job:
    return db.query(Job).options(selectinload(Job.clips)).filter(Job.id == job_id).one()


def describe(clip: Clip) -> str:
    return f"clip of {clip.job.title}"
