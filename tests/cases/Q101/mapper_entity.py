# expect: Q101 Q101 Q101 S102 S102
# before
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.expression import true
from sqlalchemy_utils import get_mapper

from app.reports import Report, latest_report_class


async def previous_default(db: Session, target):
    """A mapper selects objects, as its class does."""
    mapped = get_mapper(target)
    return (
        db.query(mapped)
        .filter(mapped.columns.default == true())
        .filter(mapped.columns.project_id == target.project_id)
        .one_or_none()
    )


def ensure_single_default(target, value, oldvalue, initiator):
    """An attribute-set listener: it runs on the sync session the object belongs to."""
    session = object_session(target)
    if session is None or not value:
        return
    mapped = get_mapper(target)
    previous = session.query(mapped).filter(mapped.columns.project_id == target.project_id).first()
    if previous is not None and previous.id != target.id:
        previous.default = False


async def latest(db: Session, project_id):
    """What `latest_report_class()` returns (a class or a column) is not known here."""
    return db.query(latest_report_class()).filter(Report.project_id == project_id).first()
# after
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.expression import true
from sqlalchemy_utils import get_mapper

from app.reports import Report, latest_report_class


async def previous_default(db: AsyncSession, target):
    """A mapper selects objects, as its class does."""
    mapped = get_mapper(target)
    return (
        await db.scalars(
            select(mapped)
            .where(mapped.columns.default == true())
            .where(mapped.columns.project_id == target.project_id)
        )
    ).one_or_none()


def ensure_single_default(target, value, oldvalue, initiator):
    """An attribute-set listener: it runs on the sync session the object belongs to."""
    session = object_session(target)
    if session is None or not value:
        return
    mapped = get_mapper(target)
    previous = session.query(mapped).filter(mapped.columns.project_id == target.project_id).first()
    if previous is not None and previous.id != target.id:
        previous.default = False


async def latest(db: Session, project_id):
    """What `latest_report_class()` returns (a class or a column) is not known here."""
    return db.query(latest_report_class()).filter(Report.project_id == project_id).first()
