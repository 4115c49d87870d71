# expect: Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101
# target: sync
# before
from app.models import Job


def every_job(db):
    return db.query(Job).all()


def newest_job(db, user_id: str):
    return db.query(Job).filter(Job.user_id == user_id).order_by(Job.created_at.desc()).first()


def the_job(db, job_id: str):
    return db.query(Job).filter(Job.job_id == job_id).one()


def maybe_job(db, job_id: str):
    return db.query(Job).filter(Job.job_id == job_id).one_or_none()


def job_status(db, job_id: str):
    return db.query(Job.status).filter(Job.job_id == job_id).scalar()


def job_count(db, user_id: str):
    return db.query(Job).filter(Job.user_id == user_id).count()


def job_by_pk(db, pk: int):
    return db.query(Job).get(pk)


def third_job(db):
    return db.query(Job).order_by(Job.id)[2]


def first_page(db):
    return db.query(Job).order_by(Job.id)[:20]


def second_page(db):
    return db.query(Job).order_by(Job.id)[20:40]
# after
from sqlalchemy import func, select

from app.models import Job


def every_job(db):
    return db.scalars(select(Job)).all()


def newest_job(db, user_id: str):
    return db.scalars(
        select(Job).where(Job.user_id == user_id).order_by(Job.created_at.desc()).limit(1)
    ).first()


def the_job(db, job_id: str):
    return db.scalars(select(Job).where(Job.job_id == job_id)).one()


def maybe_job(db, job_id: str):
    return db.scalars(select(Job).where(Job.job_id == job_id)).one_or_none()


def job_status(db, job_id: str):
    return db.execute(select(Job.status).where(Job.job_id == job_id)).scalar_one_or_none()


def job_count(db, user_id: str):
    return db.scalar(select(func.count()).select_from(Job).where(Job.user_id == user_id))


def job_by_pk(db, pk: int):
    return db.get(Job, pk)


def third_job(db):
    return db.scalars(select(Job).order_by(Job.id).offset(2).limit(1)).all()[0]


def first_page(db):
    return db.scalars(select(Job).order_by(Job.id).limit(20)).all()


def second_page(db):
    return db.scalars(select(Job).order_by(Job.id).offset(20).limit(20)).all()
