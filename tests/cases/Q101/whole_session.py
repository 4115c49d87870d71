# expect: Q101 Q101 Q101 S102
# before
from sqlalchemy.orm import Session

from app.filters import apply_filters
from app.models import Job


async def duplicates(*, db_session: Session, job: Job, expression) -> list[Job]:
    # The second query is built up and handed to a helper, which keeps `db_session` a sync Session: the first
    # query stays sync with it instead of being awaited on a session nobody converts.
    latest = db_session.query(Job).filter(Job.owner_id == job.owner_id).order_by(Job.id.desc()).first()
    query = db_session.query(Job).filter(Job.id != job.id)
    query = apply_filters(query, expression)
    return [latest, *query.all()]


async def latest(db, owner_id: int) -> Job | None:
    return db.query(Job).filter(Job.owner_id == owner_id).order_by(Job.id.desc()).first()
# after
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.filters import apply_filters
from app.models import Job


async def duplicates(*, db_session: Session, job: Job, expression) -> list[Job]:
    # The second query is built up and handed to a helper, which keeps `db_session` a sync Session: the first
    # query stays sync with it instead of being awaited on a session nobody converts.
    latest = db_session.query(Job).filter(Job.owner_id == job.owner_id).order_by(Job.id.desc()).first()
    query = db_session.query(Job).filter(Job.id != job.id)
    query = apply_filters(query, expression)
    return [latest, *query.all()]


async def latest(db, owner_id: int) -> Job | None:
    return (
        await db.scalars(select(Job).where(Job.owner_id == owner_id).order_by(Job.id.desc()).limit(1))
    ).first()
