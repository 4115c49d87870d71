from sqlalchemy import select
from sqlalchemy.orm import Session

from app import pages as paging
from app.models import Job


async def page_of(db: Session, number: int):
    items, _ = await paging.paginate(
        db, select(Job).order_by(Job.id), page=number, size=10
    )
    return items
