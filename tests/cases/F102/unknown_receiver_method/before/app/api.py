from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.cost import activity_for
from app.database import get_db
from app.models import PluginInstance

router = APIRouter()


@router.get("/activity/{slug}")
def activity(slug: str, db: Session = Depends(get_db)):
    return activity_for(db, slug, "incident")


@router.get("/events/{slug}")
def events(slug: str, db: Session = Depends(get_db)):
    plugin_instance = db.query(PluginInstance).filter_by(slug=slug).first()
    return len(plugin_instance.instance.fetch_events(db_session=db, subject="incident"))


@router.get("/count/{slug}")
def count(slug: str, db: Session = Depends(get_db)):
    plugin_instance = db.query(PluginInstance).filter_by(slug=slug).first()
    return plugin_instance.instance.count_events(db_session=db, subject="incident")
