# expect: Q101
# before
from sqlalchemy.orm import Query

from app.models import Job


class SoftDeleteQuery(Query):
    def alive(self):
        return self.filter_by(deleted=False)


async def jobs(db):
    return db.query(Job).all()
