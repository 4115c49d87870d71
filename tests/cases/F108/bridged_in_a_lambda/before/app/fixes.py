from sqlalchemy import text
from sqlalchemy.orm import Session


def fix_names(session: Session):
    session.execute(text("UPDATE foods SET name = lower(name)"))
    session.commit()
