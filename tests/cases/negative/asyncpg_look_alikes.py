from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

engine = create_async_engine("postgresql+asyncpg://localhost/app")


async def modern(db: AsyncSession, job_id: int):
    row = (await db.execute(text("SELECT * FROM jobs WHERE id = :id"), {"id": job_id})).first()
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
    return row


def browser(page):
    page.fetch("https://example.invalid")
