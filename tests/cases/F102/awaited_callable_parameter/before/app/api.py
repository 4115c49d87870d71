from fastapi import APIRouter, Depends

from app.database import SessionLocal
from app.events import make_publisher, publish_all, relay
from app.services import purge_jobs

router = APIRouter()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


class Purger:
    def __init__(self, db):
        self.db = db

    def purge(self, days):
        return purge_jobs(self.db, days)


@router.post("/purge")
def purge(days: int, db=Depends(get_db)):
    deleted = publish_all(Purger(db).purge, [days, days + 1])
    publisher = make_publisher(db)
    return {"deleted": deleted + relay(publisher, [days])}
