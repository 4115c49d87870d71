"""A miniature legacy application: models, a sync DAO written with db.query(), a raw-asyncpg service.

Loaded by tests/compat/conftest.py; its functions are the "user code" whose
call sites compat must report.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="queued")


class Clip(Base):
    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.job_id"))
    name: Mapped[str] = mapped_column(String(64))


class DaoFailure(Exception):
    """Raised on purpose by the DAO to test error propagation."""


# --- legacy sync DAO (data/dao.py in the user's world) ---------------------------------


def get_job(db: Session, job_id: str) -> Job | None:
    return db.query(Job).filter(Job.job_id == job_id).first()


def count_jobs(db: Session) -> int:
    return db.query(Job).count()


def create_job(db: Session, job_id: str, status: str = "queued") -> Job:
    job = Job(job_id=job_id, status=status)
    db.add(job)
    db.flush()
    return job


def create_job_and_commit(db: Session, job_id: str) -> Job:
    job = Job(job_id=job_id)
    db.add(job)
    db.commit()
    return job


def create_job_with_clips(db: Session, job_id: str, clip_names: list[str], fail_after: int | None = None) -> Job:
    job = create_job(db, job_id)
    for position, name in enumerate(clip_names):
        if position == fail_after:
            raise DaoFailure(f"failing on purpose after {position} clips of {job_id}")
        db.add(Clip(job_id=job_id, name=name))
        db.flush()
    return job


def set_status(db: Session, job_id: str, status: str) -> Job:
    job = get_job(db, job_id)
    if job is None:
        raise DaoFailure(f"no job {job_id}")
    job.status = status
    db.flush()
    return job


def statuses(db: Session) -> dict[str, str]:
    return {job.job_id: job.status for job in db.query(Job).order_by(Job.job_id)}
