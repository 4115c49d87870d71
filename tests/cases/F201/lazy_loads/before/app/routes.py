from fastapi import APIRouter, Depends

from app.db import get_db
from app.services import get_job, job_with_clips

router = APIRouter()


@router.get("/jobs/{job_id}/clips")
def clips(job_id: int, db=Depends(get_db)):
    job = get_job(db, job_id)
    return {"owner": job.owner.id, "clips": [clip.id for clip in job.clips]}


@router.get("/jobs/{job_id}/loaded")
def loaded(job_id: int, db=Depends(get_db)):
    job = job_with_clips(db, job_id)
    return [clip.id for clip in job.clips]
