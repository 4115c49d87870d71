from fastapi import APIRouter, Depends

from app.db import get_db
from app.services import get_job, job_with_clips

router = APIRouter()


@router.get("/jobs/{job_id}/clips")
async def clips(job_id: int, db=Depends(get_db)):
    job = await get_job(db, job_id)
    return {
        "owner": job.owner.id,
        "clips": [clip.id for clip in await job.awaitable_attrs.clips],
    }


@router.get("/jobs/{job_id}/loaded")
async def loaded(job_id: int, db=Depends(get_db)):
    job = await job_with_clips(db, job_id)
    return [clip.id for clip in job.clips]
