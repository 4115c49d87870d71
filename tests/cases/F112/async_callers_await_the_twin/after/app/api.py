from fastapi import APIRouter, Depends

from app import events
from app.database import SessionLocal
from app.events import Publisher, nightly_async
from app.services import purge_jobs

router = APIRouter()


async def get_db():
    async with SessionLocal() as db:
        try:
            yield db
            await db.commit()
        except Exception:
            await db.rollback()
            raise


@router.post("/purge")
async def purge(days: int, db=Depends(get_db)):
    deleted = await purge_jobs(db, days)
    return {
        "deleted": deleted
        + await Publisher().publish_async(days)
        + await nightly_async(days)
        + await events.nightly_async(days)
    }
