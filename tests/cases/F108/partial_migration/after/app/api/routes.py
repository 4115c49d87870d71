from fastapi import APIRouter, Depends
from sqlasync.compat import call_legacy

from app.db import get_db
from app.legacy import dao

router = APIRouter()


@router.get("/jobs/{job_id}")
async def read_job(job_id: str, db=Depends(get_db)):
    return await call_legacy(db, dao.get_job, job_id)


@router.post("/jobs")
async def create_job(job: dict, db=Depends(get_db)):
    return await call_legacy(db, dao.save, job)


@router.get("/health")
def health():
    return {"ok": True}


@router.put("/jobs/{job_id}")
async def replace_job(job_id: str, job: dict, db=Depends(get_db)):
    return await call_legacy(
        db,
        dao.save,
        {**job, "id": job_id},
    )
