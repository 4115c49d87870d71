from fastapi import APIRouter, Depends

from app import events
from app.database import SessionLocal
from app.events import Publisher, nightly
from app.services import purge_jobs

router = APIRouter()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@router.post("/purge")
def purge(days: int, db=Depends(get_db)):
    deleted = purge_jobs(db, days)
    return {"deleted": deleted + Publisher().publish(days) + nightly(days) + events.nightly(days)}
