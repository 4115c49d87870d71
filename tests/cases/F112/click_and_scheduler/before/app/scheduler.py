from app.database import SessionLocal
from app.registry import register_daily
from app.services import purge_jobs


def purge_old_jobs():
    db = SessionLocal()
    try:
        purge_jobs(db, 30)
    finally:
        db.close()


register_daily(purge_old_jobs)
