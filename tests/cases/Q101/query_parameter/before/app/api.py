from sqlalchemy.orm import Session

from app import pages as paging
from app.models import Job


def page_of(db: Session, number: int):
    items, _ = paging.paginate(db.query(Job).order_by(Job.id), page=number, size=10)
    return items
