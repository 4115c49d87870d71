# expect: Q101 Q101 Q101 Q101 Q101 Q101
# before
from sqlalchemy.orm import aliased

from app.models import Clip, Job


async def job(db, job_id: str):
    return db.query(Job).filter_by(job_id=job_id, deleted_at=None).first()


async def jobs_with_good_clips(db, user_id: str):
    return db.query(Job).join(Clip, Clip.job_id == Job.job_id).filter_by(approved=True).filter(Job.user_id == user_id).all()


async def jobs_and_clip_titles(db):
    return db.query(Job, Clip.title).outerjoin(Clip, Clip.job_id == Job.job_id).order_by(Job.id).all()


async def jobs_without_clips(db):
    return db.query(Job).outerjoin(Job.clips).filter(Clip.id.is_(None)).order_by(Job.id).all()


async def parent_jobs(db):
    parent = aliased(Job)
    return db.query(Job).join(parent, Job.parent_id == parent.id).filter_by(status="failed").all()


async def clip_ids(db, user_id: str):
    return db.query(Clip.id).filter_by(job_id=user_id or None).all()
# after
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.models import Clip, Job


async def job(db, job_id: str):
    return (await db.scalars(select(Job).where(Job.job_id == job_id, Job.deleted_at.is_(None)).limit(1))).first()


async def jobs_with_good_clips(db, user_id: str):
    return (
        await db.scalars(
            select(Job).join(Clip, Clip.job_id == Job.job_id).where(Clip.approved == True).where(Job.user_id == user_id)
        )
    ).unique().all()


async def jobs_and_clip_titles(db):
    return (
        await db.execute(select(Job, Clip.title).outerjoin(Clip, Clip.job_id == Job.job_id).order_by(Job.id))
    ).unique().all()


async def jobs_without_clips(db):
    return (await db.scalars(select(Job).outerjoin(Job.clips).where(Clip.id.is_(None)).order_by(Job.id))).unique().all()


async def parent_jobs(db):
    parent = aliased(Job)
    return (
        await db.scalars(select(Job).join(parent, Job.parent_id == parent.id).where(parent.status == "failed"))
    ).unique().all()


async def clip_ids(db, user_id: str):
    return (await db.execute(select(Clip.id).where(Clip.job_id == (user_id or None)))).all()
