from fastapi import APIRouter, Depends

from app.db import get_db
from app.legacy import dao

router = APIRouter()


@router.get("/jobs/{job_id}")
async def read_job(job_id: str, db=Depends(get_db)):
    return dao.get_job(db, job_id)


@router.post("/jobs")
def create_job(job: dict, db=Depends(get_db)):
    return dao.save(db, job)


@router.get("/health")
def health():
    return {"ok": True}


@router.put("/jobs/{job_id}")
def replace_job(job_id: str, job: dict, db=Depends(get_db)):
    return dao.save(
        db,
        {**job, "id": job_id},
    )
