from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Clip, Job, Note, Transcript


async def get_job(db: AsyncSession, job_id: str) -> Job | None:
    return (
        await db.scalars(
            select(Job).options(selectinload(Job.clips)).where(Job.job_id == job_id)
        )
    ).first()


async def get_clip(db: AsyncSession, clip_id: str) -> Clip:
    return (await db.scalars(select(Clip).where(Clip.clip_id == clip_id))).one()


async def get_transcript(db: AsyncSession, job_pk: int) -> Transcript | None:
    return (
        await db.scalars(
            select(Transcript)
            .options(selectinload(Transcript.job))
            .where(Transcript.job_id == job_pk)
        )
    ).one_or_none()


async def get_note(db: AsyncSession, note_id: int) -> Note:
    return (
        await db.scalars(
            select(Note).options(selectinload(Note.job)).where(Note.id == note_id)
        )
    ).one()
