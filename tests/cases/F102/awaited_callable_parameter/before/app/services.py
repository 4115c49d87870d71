from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.models import Job


def purge_jobs(db: Session, days: int) -> int:
    result = db.execute(delete(Job).where(Job.age > days))
    db.commit()
    return result.rowcount
