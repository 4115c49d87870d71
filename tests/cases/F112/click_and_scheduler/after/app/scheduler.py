from sqlasync.compat import run_from_sync

from app.database import SessionLocal
from app.registry import register_daily
from app.services import purge_jobs


def purge_old_jobs():
    return run_from_sync(purge_old_jobs_async)


async def purge_old_jobs_async():
    async with SessionLocal() as db:
        await purge_jobs(db, 30)


register_daily(purge_old_jobs)
