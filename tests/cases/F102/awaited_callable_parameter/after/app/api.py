from fastapi import APIRouter, Depends

from app.database import SessionLocal
from app.events import make_publisher, publish_all, relay
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


class Purger:
    def __init__(self, db):
        self.db = db

    async def purge(self, days):
        return await purge_jobs(self.db, days)


@router.post("/purge")
async def purge(days: int, db=Depends(get_db)):
    deleted = await publish_all(Purger(db).purge, [days, days + 1])
    publisher = make_publisher(db)
    return {"deleted": deleted + await relay(publisher, [days])}
