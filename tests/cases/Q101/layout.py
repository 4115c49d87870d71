# expect: Q101 Q101 Q101 Q101 Q101
# before
from app.models import Clip, Job


async def user_jobs(db, user_id: str, status: str):
    return (
        db.query(Job)
        # newest first, ties by id
        .filter(Job.user_id == user_id, Job.status == status)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .all()
    )


async def clips(db, job_id: str):
    return (
        db.query(Clip)
        .filter(
            Clip.job_id == job_id,
            Clip.score > 0.5,  # only usable clips
        )
        .order_by(Clip.start_time)
        .all()
    )


async def long_chain(db, user_id: str, status: str, minimum_score: float):
    return db.query(Clip).join(Job, Job.job_id == Clip.job_id).filter(Job.user_id == user_id, Job.status == status, Clip.score >= minimum_score).order_by(Clip.score.desc()).first()


async def job_exists(db, job_id: str) -> bool:
    return db.query(Job).filter(Job.job_id == job_id).first() is not None


async def payload(db, user_id: str, status: str):
    return serialize_many(db.query(Job).filter(Job.user_id == user_id, Job.status == status).order_by(Job.id).all())
# after
from sqlalchemy import select

from app.models import Clip, Job


async def user_jobs(db, user_id: str, status: str):
    return (
        await db.scalars(
            select(Job)
            # newest first, ties by id
            .where(Job.user_id == user_id, Job.status == status)
            .order_by(Job.created_at.desc(), Job.id.desc())
        )
    ).all()


async def clips(db, job_id: str):
    return (
        await db.scalars(
            select(Clip)
            .where(
                Clip.job_id == job_id,
                Clip.score > 0.5,  # only usable clips
            )
            .order_by(Clip.start_time)
        )
    ).all()


async def long_chain(db, user_id: str, status: str, minimum_score: float):
    return (
        await db.scalars(
            select(Clip)
            .join(Job, Job.job_id == Clip.job_id)
            .where(Job.user_id == user_id, Job.status == status, Clip.score >= minimum_score)
            .order_by(Clip.score.desc())
            .limit(1)
        )
    ).unique().first()


async def job_exists(db, job_id: str) -> bool:
    return (await db.scalars(select(Job).where(Job.job_id == job_id).limit(1))).first() is not None


async def payload(db, user_id: str, status: str):
    return serialize_many(
        (await db.scalars(select(Job).where(Job.user_id == user_id, Job.status == status).order_by(Job.id))).all()
    )
