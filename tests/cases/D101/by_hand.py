# expect: D101 D101 D101 E102 S101
# before
from sqlalchemy.orm import Session, sessionmaker

from app.core.database import SessionLocal, engine

ReportSession = sessionmaker(bind=engine)


def list_jobs():
    db = SessionLocal()
    try:
        return db
    finally:
        db.close()


def report():
    with ReportSession() as session:
        return session


def script():
    with Session(engine) as session:
        return session
