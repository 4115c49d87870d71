# expect: F101 F111 S101
# before
import time

from app.models import Job


def save_after_backoff(db, job, seconds):
    db.add(job)
    time.sleep(seconds)
    db.commit()
# after
import asyncio

from app.models import Job


async def save_after_backoff(db, job, seconds):
    db.add(job)
    await asyncio.sleep(seconds)
    await db.commit()
