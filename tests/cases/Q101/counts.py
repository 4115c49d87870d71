# expect: Q101 Q101 Q101 Q101 Q101 Q101
# before
from sqlalchemy import func

from app.models import Clip, Job


async def simple(db, user_id: str):
    return db.query(Job).filter(Job.user_id == user_id).order_by(Job.id).count()


async def joined(db, user_id: str):
    return db.query(Job).join(Clip, Clip.job_id == Job.job_id).filter(Job.user_id == user_id).count()


async def distinct_users(db):
    return db.query(Job.user_id).distinct().count()


async def limited(db):
    return db.query(Job).order_by(Job.id).limit(10).count()


async def grouped(db):
    return db.query(Job.status, func.count(Job.id)).group_by(Job.status).count()


async def compared(db, sku: str):
    if db.query(Job).filter_by(sku=sku).count() > 0:
        return True
    return False
# after
from sqlalchemy import func, select

from app.models import Clip, Job


async def simple(db, user_id: str):
    return await db.scalar(select(func.count()).select_from(Job).where(Job.user_id == user_id))


async def joined(db, user_id: str):
    return await db.scalar(
        select(func.count())
        .select_from(
            select(Job)
            .join(Clip, Clip.job_id == Job.job_id)
            .where(Job.user_id == user_id)
            .subquery()
        )
    )


async def distinct_users(db):
    return await db.scalar(
        select(func.count()).select_from(select(Job.user_id).distinct().subquery())
    )


async def limited(db):
    return await db.scalar(
        select(func.count()).select_from(select(Job).order_by(Job.id).limit(10).subquery())
    )


async def grouped(db):
    return await db.scalar(
        select(func.count())
        .select_from(select(Job.status, func.count(Job.id)).group_by(Job.status).subquery())
    )


async def compared(db, sku: str):
    if await db.scalar(select(func.count()).select_from(Job).where(Job.sku == sku)) > 0:
        return True
    return False
