from sqlalchemy import text
from sqlalchemy.orm import Session


def ping(db: Session) -> int:
    return db.execute(text("select 1")).scalar()
