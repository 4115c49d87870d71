from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def get_active(*, db_session: AsyncSession, slug: str):
    return (
        await db_session.execute(
            text("SELECT id FROM plugins WHERE slug = :slug"), {"slug": slug}
        )
    ).first()
