from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app import services
from app.db import get_db
from app.schemas import ClipOut, Excerpt, JobDetail, ResultsOut

router = APIRouter()


@router.get("/jobs/{job_id}", response_model=JobDetail)
async def job_detail(job_id: str, db: AsyncSession = Depends(get_db)):
    return await services.get_job(db, job_id)


@router.get("/jobs/{job_id}/results", response_model=ResultsOut)
async def results(job_id: str, db: AsyncSession = Depends(get_db)):
    job = await services.get_job(db, job_id)
    transcript = await job.awaitable_attrs.transcript
    return ResultsOut(
        job=job.job_id,
        clips=[ClipOut.model_validate(clip) for clip in await job.awaitable_attrs.clips],
        transcript=transcript.text if transcript else None,
        total_seconds=0.0,
    )


@router.get("/clips/{clip_id}", response_model=ClipOut)
async def clip(clip_id: str, db: AsyncSession = Depends(get_db)):
    return await services.get_clip(db, clip_id)


@router.get("/jobs/{job_pk}/excerpt", response_model=Excerpt)
async def excerpt(job_pk: int, db: AsyncSession = Depends(get_db)):
    return await services.get_transcript(db, job_pk)
