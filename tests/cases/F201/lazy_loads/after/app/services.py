from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import Clip, Job


async def clip_count(db, job_id: int) -> int:
    job = (
        await db.scalars(
            select(Job).options(selectinload(Job.clips)).where(Job.id == job_id)
        )
    ).one()
    return len(job.clips)


async def get_job(db, job_id: int) -> Job:
    return (await db.scalars(select(Job).where(Job.id == job_id))).one()


async def job_with_clips(db, job_id: int) -> Job:
    return (
        await db.scalars(
            select(Job).options(selectinload(Job.clips)).where(Job.id == job_id)
        )
    ).one()


def describe(clip: Clip) -> str:
    return f"clip of {clip.job.title}"
