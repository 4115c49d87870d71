# expect: D101 D101 D101 D101 D101 D101 D101 S101 S101
# before
from app.core.database import SessionLocal

db = SessionLocal()


def session_factory():
    return SessionLocal()


class Repository:
    def __init__(self):
        self.db = SessionLocal()


async def returned():
    db = SessionLocal()
    return db


async def in_closure():
    db = SessionLocal()
    return lambda: db.commit()


async def conditional(flag):
    if flag:
        db = SessionLocal()
    return db.scalar(count_jobs)


def property_like():
    return [SessionLocal() for _ in range(2)]
# after
from app.core.database import SessionLocal

db = SessionLocal()


def session_factory():
    return SessionLocal()


class Repository:
    def __init__(self):
        self.db = SessionLocal()


async def returned():
    db = SessionLocal()
    return db


async def in_closure():
    db = SessionLocal()
    return lambda: db.commit()


async def conditional(flag):
    if flag:
        db = SessionLocal()
    return await db.scalar(count_jobs)


def property_like():
    return [SessionLocal() for _ in range(2)]
