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


@router.post("/plugins/refresh")
def refresh(db_session: Session = Depends(get_db)):
    from app.plugins import refresh_all

    refresh_all(db_session=db_session)
    db_session.commit()


@router.post("/plugins/{slug}/reactivate")
def reactivate(slug: str, db_session: Session = Depends(get_db)):
    from app.plugins import reactivate_flow

    reactivate_flow(slug, db_session)
    db_session.commit()
