from fastapi import APIRouter, Depends

from app.database import SessionLocal
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
    return {"deleted": await purge_jobs(db, days)}
