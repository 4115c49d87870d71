# expect: F204
# expire_all() expires the loaded job (refreshed before its next read) but not an object constructed and
# not yet flushed, which keeps its state.
# before
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"


async def retry(db, job_id, payload):
    job = await db.get(Job, job_id)
    draft = Job(status="draft")
    db.expire_all()
    print(draft.status)
    if job.attempts > 3:
        return None
    return job.job_id
# after
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"


async def retry(db, job_id, payload):
    job = await db.get(Job, job_id)
    draft = Job(status="draft")
    db.expire_all()
    await db.refresh(job)
    print(draft.status)
    if job.attempts > 3:
        return None
    return job.job_id
