from sqlalchemy.orm import Query, Session

from app.models import Job


def paginate(query: Query, page: int, size: int) -> tuple[list, int]:
    total = query.count()
    if page > 1:
        query = query.offset((page - 1) * size)
    return query.limit(size).all(), total


def recent(db: Session, user: str):
    jobs = db.query(Job).filter(Job.user == user)
    jobs = jobs.order_by(Job.id.desc())
    return paginate(jobs, 1, 20)
