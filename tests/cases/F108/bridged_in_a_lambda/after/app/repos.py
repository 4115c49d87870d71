from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def rename_all(session: AsyncSession):
    await session.execute(text("UPDATE foods SET name = upper(name)"))
