from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlasync.compat import call_legacy

from app.cost import activity_for
from app.database import get_db
from app.models import PluginInstance

router = APIRouter()


@router.get("/activity/{slug}")
async def activity(slug: str, db: AsyncSession = Depends(get_db)):
    return await call_legacy(db, activity_for, slug, "incident")


@router.get("/events/{slug}")
async def events(slug: str, db: AsyncSession = Depends(get_db)):
    plugin_instance = (
        await db.scalars(
            select(PluginInstance).where(PluginInstance.slug == slug).limit(1)
        )
    ).first()
    return len(
        await call_legacy(
            db, plugin_instance.instance.fetch_events, db_session=db, subject="incident"
        )
    )


@router.get("/count/{slug}")
async def count(slug: str, db: AsyncSession = Depends(get_db)):
    plugin_instance = (
        await db.scalars(
            select(PluginInstance).where(PluginInstance.slug == slug).limit(1)
        )
    ).first()
    return await plugin_instance.instance.count_events(
        db_session=db, subject="incident"
    )
