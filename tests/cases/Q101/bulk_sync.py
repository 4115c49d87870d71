# expect: Q101 Q101 Q101
# target: sync
# before
from app.models import Job, utcnow


def cancel_queued(db, user_id: str) -> int:
    return db.query(Job).filter(Job.user_id == user_id, Job.status == "queued").update(
        {Job.status: "cancelled", Job.updated_at: utcnow()}, synchronize_session="fetch"
    )


def archive(db, user_id: str) -> int:
    return db.query(Job).filter_by(user_id=user_id).update({"archived": True})


def purge_failed(db) -> int:
    return db.query(Job).filter(Job.status == "failed").delete(synchronize_session=False)
# after
from sqlalchemy import delete, update

from app.models import Job, utcnow


def cancel_queued(db, user_id: str) -> int:
    return db.execute(
        update(Job)
        .where(Job.user_id == user_id, Job.status == "queued")
        .values({Job.status: "cancelled", Job.updated_at: utcnow()})
        .execution_options(synchronize_session="fetch")
    ).rowcount


def archive(db, user_id: str) -> int:
    return db.execute(
        update(Job).where(Job.user_id == user_id).values({"archived": True})
    ).rowcount


def purge_failed(db) -> int:
    return db.execute(
        delete(Job)
        .where(Job.status == "failed")
        .execution_options(synchronize_session=False)
    ).rowcount
