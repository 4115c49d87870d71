from sqlalchemy.orm import Session

from app.reports import Report


def summary(db: Session, user: str) -> dict:
    report = Report(db, user)
    return {"count": report.count(), "newest": [job.id for job in report.newest()]}
