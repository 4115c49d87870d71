from sqlasync.compat import run_from_sync

from app.database import SessionLocal
from app.registry import register_daily
from app.services import purge_jobs


class Publisher:
    def publish(self, days: int = 50) -> int:
        return run_from_sync(self.publish_async, days)

    async def publish_async(self, days: int = 50) -> int:
        async with SessionLocal() as db:
            return await purge_jobs(db, days)


def nightly(days: int = 50) -> int:
    return run_from_sync(nightly_async, days)


async def nightly_async(days: int = 50) -> int:
    async with SessionLocal() as db:
        return await purge_jobs(db, days)


register_daily(Publisher().publish, nightly)
