from sqlalchemy import text
from sqlalchemy.orm import Session


def get_active(*, db_session: Session, slug: str):
    return db_session.execute(text("SELECT id FROM plugins WHERE slug = :slug"), {"slug": slug}).first()


def touch_all(db_session: Session):
    db_session.execute(text("UPDATE plugins SET touched = 1"))


def refresh_all(*, db_session: Session):
    touch_all(db_session)


def reactivate_flow(slug: str, db_session: Session):
    """A flow: no I/O of its own, it hands its session to the services."""
    get_active(db_session=db_session, slug=slug)
    refresh_all(db_session=db_session)
