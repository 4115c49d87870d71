# expect: Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101
# before
from sqlalchemy import func

from app.models import Clip, Job


async def has_jobs(db, user_id: str):
    return db.query(db.query(Job).filter(Job.user_id == user_id).exists()).scalar()


async def busiest_users(db):
    counts = db.query(Job.user_id, func.count(Job.id).label("jobs")).group_by(Job.user_id).subquery()
    return db.query(counts.c.user_id).filter(counts.c.jobs > 10).all()


async def recent_clips(db):
    recent = db.query(Job.job_id).filter(Job.status == "completed").cte("recent")
    return db.query(Clip).join(recent, recent.c.job_id == Clip.job_id).all()


async def best_scored(db):
    best = db.query(func.max(Clip.score)).scalar_subquery()
    return db.query(Clip).filter(Clip.score == best).all()


async def clips_of_failed_jobs(db):
    return db.query(Clip).filter(Clip.job_id.in_(db.query(Job.job_id).filter(Job.status == "failed"))).all()


def job_statement(db, user_id: str):
    return db.query(Job).filter(Job.user_id == user_id).statement
# after
from sqlalchemy import func, select

from app.models import Clip, Job


async def has_jobs(db, user_id: str):
    return (
        await db.execute(select(select(Job).where(Job.user_id == user_id).exists()))
    ).scalar_one_or_none()


async def busiest_users(db):
    counts = select(Job.user_id, func.count(Job.id).label("jobs")).group_by(Job.user_id).subquery()
    return (await db.execute(select(counts.c.user_id).where(counts.c.jobs > 10))).all()


async def recent_clips(db):
    recent = select(Job.job_id).where(Job.status == "completed").cte("recent")
    return (await db.scalars(select(Clip).join(recent, recent.c.job_id == Clip.job_id))).unique().all()


async def best_scored(db):
    best = select(func.max(Clip.score)).scalar_subquery()
    return (await db.scalars(select(Clip).where(Clip.score == best))).all()


async def clips_of_failed_jobs(db):
    return (
        await db.scalars(
            select(Clip).where(Clip.job_id.in_(select(Job.job_id).where(Job.status == "failed")))
        )
    ).all()


def job_statement(db, user_id: str):
    return select(Job).where(Job.user_id == user_id)
