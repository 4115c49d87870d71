from sqlalchemy import delete

from app.models import Job
from sqlalchemy.ext.asyncio import AsyncSession


async def purge_jobs(db: AsyncSession, days: int) -> int:
    result = await db.execute(delete(Job).where(Job.age > days))
    await db.commit()
    return result.rowcount
