from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import get_db
from app.plugins import get_active

router = APIRouter()


@router.post("/plugins/{slug}/touch")
async def touch(slug: str, db_session: AsyncSession = Depends(get_db)):
    plugin = await get_active(db_session=db_session, slug=slug)
    await db_session.execute(
        text("UPDATE plugins SET touched = 1 WHERE id = :id"), {"id": plugin.id}
    )
    await db_session.commit()
    return {"ok": True}
