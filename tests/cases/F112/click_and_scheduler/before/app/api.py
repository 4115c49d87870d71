from fastapi import APIRouter, Depends

from app.database import SessionLocal
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
    return {"deleted": purge_jobs(db, days)}
