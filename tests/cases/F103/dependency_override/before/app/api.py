from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.database import get_db
from app.plugins import get_active

router = APIRouter()


@router.post("/plugins/{slug}/touch")
def touch(slug: str, db_session: Session = Depends(get_db)):
    plugin = get_active(db_session=db_session, slug=slug)
    db_session.execute(text("UPDATE plugins SET touched = 1 WHERE id = :id"), {"id": plugin.id})
    db_session.commit()
    return {"ok": True}
