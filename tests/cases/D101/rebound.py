# expect: D101 D101 D101 D101 S101 S101 S101 S101 S101
# before
from app.core.database import SessionLocal


async def round_trip(job_id):
    db = SessionLocal()
    job = db.get(Job, job_id)
    db.close()

    migrate_schema()
    db = SessionLocal()
    try:
        assert db.get(Job, job_id).status == job.status
    finally:
        db.close()


async def branches(flag):
    if flag:
        db = SessionLocal()
    else:
        db = SessionLocal()
    db.commit()
# after
from app.core.database import SessionLocal


async def round_trip(job_id):
    async with SessionLocal() as db:
        job = await db.get(Job, job_id)

    migrate_schema()
    async with SessionLocal() as db:
        assert (await db.get(Job, job_id)).status == job.status


async def branches(flag):
    if flag:
        db = SessionLocal()
    else:
        db = SessionLocal()
    await db.commit()
