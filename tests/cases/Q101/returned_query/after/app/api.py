from sqlalchemy.orm import Session

from app.reports import Report


async def summary(db: Session, user: str) -> dict:
    report = Report(db, user)
    return {
        "count": await report.count(),
        "newest": [job.id for job in await report.newest()],
    }
