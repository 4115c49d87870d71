# expect: D101 S101 S101 S101
# before
from fastapi import APIRouter

from app.core.database import SessionLocal

router = APIRouter(prefix="/jobs")


@router.delete("/{job_id}")
async def delete_job(job_id: int):
    db = SessionLocal()
    job = db.get(Job, job_id)
    db.delete(job)
    db.commit()
    db.close()
    return {"deleted": job_id}
# after
from fastapi import APIRouter

from app.core.database import SessionLocal

router = APIRouter(prefix="/jobs")


@router.delete("/{job_id}")
async def delete_job(job_id: int):
    async with SessionLocal() as db:
        job = await db.get(Job, job_id)
        await db.delete(job)
        await db.commit()
    return {"deleted": job_id}
