# expect: F101 F107 Q101 Q101
# before
from app.models import Job


def every_job(db):
    return db.query(Job).all()


class Report:
    def __init__(self, db):
        self.db = db

    @property
    def total(self):
        return self.db.query(Job).count()
# after
from sqlalchemy import select

from app.models import Job


async def every_job(db):
    return (await db.scalars(select(Job))).all()


class Report:
    def __init__(self, db):
        self.db = db

    @property
    def total(self):
        return self.db.query(Job).count()
