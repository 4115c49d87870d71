import functools

from celery import shared_task
from sqlasync.compat import call_legacy


class Stats:
    def __init__(self, db):
        self.db = db
        db.flush()

    @property
    def total(self):
        return self.db.scalar("SELECT count(*) FROM jobs")


@shared_task
def purge(db):
    db.execute("DELETE FROM jobs")


def weight(db):
    return db.scalar("SELECT 1")


def heaviest(items):
    return sorted(items, key=weight)


def save(db):
    db.commit()


HANDLERS = {"save": lambda db: save(db)}


@functools.lru_cache
def settings(db):
    return db.scalar("SELECT value FROM settings")


async def cleanup(db):
    await call_legacy(db, purge)
