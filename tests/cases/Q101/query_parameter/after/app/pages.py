from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.models import Job


async def paginate(
    db: AsyncSession, query: Select, page: int, size: int
) -> tuple[list, int]:
    total = await db.scalar(select(func.count()).select_from(query.subquery()))
    if page > 1:
        query = query.offset((page - 1) * size)
    return (await db.scalars(query.limit(size))).all(), total


async def recent(db: Session, user: str):
    jobs = select(Job).where(Job.user == user)
    jobs = jobs.order_by(Job.id.desc())
    return await paginate(db, jobs, 1, 20)
