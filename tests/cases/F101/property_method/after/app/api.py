from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.stats import Stats as JobStats

router = APIRouter()


@router.get("/stats")
async def show(user_id: str, db: Session = Depends()):
    stats = JobStats(db, user_id)
    return {
        "label": stats.label,
        "total": await stats.total(),
        "per_user": await stats.per_user(),
    }
