from sqlalchemy import text
from sqlalchemy.orm import Session


def get_active(*, db_session: Session, slug: str):
    return db_session.execute(text("SELECT id FROM plugins WHERE slug = :slug"), {"slug": slug}).first()
