# expect: Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101 Q101
# before
from app.models import Clip, Job


async def returned(db):
    return db.query(Job).filter(Job.status == "queued")


def paginate(query, page: int):
    return query.offset(page * 20).limit(20).all()


async def passed_to_helper(db):
    query = db.query(Job).order_by(Job.id)
    return paginate(query, 2)


async def stored_on_self(self, db):
    self.query = db.query(Job)


async def from_self(db):
    return db.query(Job).order_by(Job.id).limit(5).from_self().all()


async def streamed(db):
    return [job.id for job in db.query(Job).yield_per(100)]


async def subclass_method(db):
    return db.query(Job).not_deleted().all()


async def filter_by_after_relationship_join(db):
    return db.query(Job).join(Job.clips).filter_by(approved=True).all()


async def distinct_on(db):
    return db.query(Job).distinct(Job.user_id).all()


async def unknown_entity(db, thing):
    return db.query(thing).all()


async def in_lambda(db):
    return sorted(jobs, key=lambda job: db.query(Clip).filter(Clip.job_id == job.job_id).count())
