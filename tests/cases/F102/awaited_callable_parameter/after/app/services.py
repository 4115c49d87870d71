from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Job


async def purge_jobs(db: AsyncSession, days: int) -> int:
    result = await db.execute(delete(Job).where(Job.age > days))
    await db.commit()
    return result.rowcount
