from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlasync.compat import call_legacy

from app.database import get_db
from app.plugins import get_active

router = APIRouter()


@router.post("/plugins/{slug}/touch")
async def touch(slug: str, db_session: AsyncSession = Depends(get_db)):
    plugin = await call_legacy(db_session, get_active, db_session=db_session, slug=slug)
    await db_session.execute(
        text("UPDATE plugins SET touched = 1 WHERE id = :id"), {"id": plugin.id}
    )
    await db_session.commit()
    return {"ok": True}


@router.post("/plugins/refresh")
async def refresh(db_session: AsyncSession = Depends(get_db)):
    from app.plugins import refresh_all

    await call_legacy(db_session, refresh_all, db_session=db_session)
    await db_session.commit()


@router.post("/plugins/{slug}/reactivate")
async def reactivate(slug: str, db_session: AsyncSession = Depends(get_db)):
    from app.plugins import reactivate_flow

    await call_legacy(db_session, reactivate_flow, slug, db_session)
    await db_session.commit()
