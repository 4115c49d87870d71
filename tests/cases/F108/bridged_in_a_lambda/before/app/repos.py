from sqlalchemy import text
from sqlalchemy.orm import Session


def rename_all(session: Session):
    session.execute(text("UPDATE foods SET name = upper(name)"))
