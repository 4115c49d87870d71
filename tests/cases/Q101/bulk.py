# expect: Q101 Q101 Q101 Q101 Q101
# before
from app.models import Clip, Job, Transcript, utcnow


async def cancel_queued(db, user_id: str) -> int:
    return db.query(Job).filter(Job.user_id == user_id, Job.status == "queued").update(
        {Job.status: "cancelled", Job.updated_at: utcnow()}, synchronize_session="fetch"
    )


async def archive(db, user_id: str) -> int:
    return db.query(Job).filter_by(user_id=user_id).update({"archived": True})


async def purge_failed(db) -> int:
    return db.query(Job).filter(Job.status == "failed").delete(synchronize_session=False)


async def bump(db, updates) -> int:
    changed = 0
    for update in updates:
        changed += db.query(Job).filter(Job.id == update["id"]).update({Job.progress: update["progress"]}, False)
    return changed


async def purge_children(db, job_ids) -> None:
    for child in (Clip, Transcript):
        db.query(child).filter(child.job_id.in_(job_ids)).delete(synchronize_session=False)
# after
from sqlalchemy import delete
from sqlalchemy import update as sa_update

from app.models import Clip, Job, Transcript, utcnow


async def cancel_queued(db, user_id: str) -> int:
    return (
        await db.execute(
            sa_update(Job)
            .where(Job.user_id == user_id, Job.status == "queued")
            .values({Job.status: "cancelled", Job.updated_at: utcnow()})
            .execution_options(synchronize_session="fetch")
        )
    ).rowcount


async def archive(db, user_id: str) -> int:
    return (await db.execute(sa_update(Job).where(Job.user_id == user_id).values({"archived": True}))).rowcount


async def purge_failed(db) -> int:
    return (
        await db.execute(delete(Job).where(Job.status == "failed").execution_options(synchronize_session=False))
    ).rowcount


async def bump(db, updates) -> int:
    changed = 0
    for update in updates:
        changed += (
            await db.execute(
                sa_update(Job)
                .where(Job.id == update["id"])
                .values({Job.progress: update["progress"]})
                .execution_options(synchronize_session=False)
            )
        ).rowcount
    return changed


async def purge_children(db, job_ids) -> None:
    for child in (Clip, Transcript):
        await db.execute(
            delete(child).where(child.job_id.in_(job_ids)).execution_options(synchronize_session=False)
        )
