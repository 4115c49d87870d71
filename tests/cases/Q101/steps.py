# expect: Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101
# before
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from app.models import Clip, Job


async def jobs_page(db, skip: int, limit: int):
    return db.query(Job).order_by(Job.id).offset(skip).limit(limit).all()


async def middle_jobs(db):
    return db.query(Job).order_by(Job.id).slice(10, 20).all()


async def jobs_with_clips(db):
    return db.query(Job).options(selectinload(Job.clips)).all()


async def jobs_with_clips_joined(db):
    return db.query(Job).options(joinedload(Job.clips)).all()


async def users(db):
    return db.query(Job.user_id).distinct().order_by(Job.user_id).all()


async def busy_users(db, minimum: int):
    return db.query(Job.user_id, func.count(Job.id)).group_by(Job.user_id).having(func.count(Job.id) >= minimum).all()


async def usernames(db):
    return db.query(Job).filter(Job.status == "queued").with_entities(Job.user_id).all()


async def lock_job(db, job_id: str):
    return db.query(Job).filter(Job.job_id == job_id).with_for_update(skip_locked=True).one()


async def fresh_job(db, job_id: str):
    return db.query(Job).filter_by(job_id=job_id).populate_existing().one()


async def uncached_jobs(db):
    return db.query(Job).execution_options(stream_results=True).order_by(Job.id).all()
# after
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.models import Clip, Job


async def jobs_page(db, skip: int, limit: int):
    return (await db.scalars(select(Job).order_by(Job.id).offset(skip).limit(limit))).all()


async def middle_jobs(db):
    return (await db.scalars(select(Job).order_by(Job.id).slice(10, 20))).all()


async def jobs_with_clips(db):
    return (await db.scalars(select(Job).options(selectinload(Job.clips)))).all()


async def jobs_with_clips_joined(db):
    return (await db.scalars(select(Job).options(joinedload(Job.clips)))).unique().all()


async def users(db):
    return (await db.execute(select(Job.user_id).distinct().order_by(Job.user_id))).all()


async def busy_users(db, minimum: int):
    return (
        await db.execute(
            select(Job.user_id, func.count(Job.id)).group_by(Job.user_id).having(func.count(Job.id) >= minimum)
        )
    ).all()


async def usernames(db):
    return (await db.execute(select(Job.user_id).where(Job.status == "queued"))).all()


async def lock_job(db, job_id: str):
    return (await db.scalars(select(Job).where(Job.job_id == job_id).with_for_update(skip_locked=True))).one()


async def fresh_job(db, job_id: str):
    return (await db.scalars(select(Job).where(Job.job_id == job_id).execution_options(populate_existing=True))).one()


async def uncached_jobs(db):
    return (await db.scalars(select(Job).execution_options(stream_results=True).order_by(Job.id))).all()
