# expect: Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101
# before
from app.models import Job


async def every_job(db):
    return db.query(Job).all()


async def newest_job(db, user_id: str):
    return db.query(Job).filter(Job.user_id == user_id).order_by(Job.created_at.desc()).first()


async def the_job(db, job_id: str):
    return db.query(Job).filter(Job.job_id == job_id).one()


async def maybe_job(db, job_id: str):
    return db.query(Job).filter(Job.job_id == job_id).one_or_none()


async def job_status(db, job_id: str):
    return db.query(Job.status).filter(Job.job_id == job_id).scalar()


async def job_count(db, user_id: str):
    return db.query(Job).filter(Job.user_id == user_id).count()


async def job_by_pk(db, pk: int):
    return db.query(Job).get(pk)


async def third_job(db):
    return db.query(Job).order_by(Job.id)[2]


async def first_page(db):
    return db.query(Job).order_by(Job.id)[:20]


async def second_page(db):
    return db.query(Job).order_by(Job.id)[20:40]
# after
from sqlalchemy import func, select

from app.models import Job


async def every_job(db):
    return (await db.scalars(select(Job))).all()


async def newest_job(db, user_id: str):
    return (
        await db.scalars(
            select(Job).where(Job.user_id == user_id).order_by(Job.created_at.desc()).limit(1)
        )
    ).first()


async def the_job(db, job_id: str):
    return (await db.scalars(select(Job).where(Job.job_id == job_id))).one()


async def maybe_job(db, job_id: str):
    return (await db.scalars(select(Job).where(Job.job_id == job_id))).one_or_none()


async def job_status(db, job_id: str):
    return (
        await db.execute(select(Job.status).where(Job.job_id == job_id))
    ).scalar_one_or_none()


async def job_count(db, user_id: str):
    return await db.scalar(select(func.count()).select_from(Job).where(Job.user_id == user_id))


async def job_by_pk(db, pk: int):
    return await db.get(Job, pk)


async def third_job(db):
    return (await db.scalars(select(Job).order_by(Job.id).offset(2).limit(1))).all()[0]


async def first_page(db):
    return (await db.scalars(select(Job).order_by(Job.id).limit(20))).all()


async def second_page(db):
    return (await db.scalars(select(Job).order_by(Job.id).offset(20).limit(20))).all()
