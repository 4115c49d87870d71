from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def ping(db: AsyncSession) -> int:
    return (await db.execute(text("select 1"))).scalar()
