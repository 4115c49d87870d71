# expect: D101 F107 F107 F107 S101 S101 S101 S101 S101 S101
# before
from celery import shared_task

from app.core.database import SessionLocal

db = SessionLocal()
db.commit()


class Report:
    def __init__(self, db):
        self.db = db
        db.flush()

    @property
    def total(self):
        return self.db.scalar(count_jobs)


def later(db):
    return lambda: db.commit()


async def lazily(db, ids):
    return any(db.scalar(count_for(i)) for i in ids)


@shared_task
def nightly(db):
    db.commit()
