# expect: D101 D101 D102 S101 S101 S101 S101 S101 S101 S101 S101 S102 S102
# before
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.core.database import SessionLocal, get_db
from app.core.service_registry import Container

DbSession = Annotated[Session, Depends(get_db)]


def annotated(db: Session, job):
    db.add(job)
    db.commit()


def through_alias(session: DbSession, job):
    session.refresh(job)


def configured_alias(sess: SessionDep):
    sess.rollback()


def dependency(database=Depends(get_db)):
    database.flush()


def bound_from_factory():
    handle = SessionLocal()
    handle.close()


def from_container():
    conn = Container.resolve("db_session")
    conn.commit()


@provide_session
def injected(job_id, session=None):
    return session.get(Job, job_id)


class JobStore:
    def __init__(self):
        self.db = SessionLocal()

    def save(self, job):
        self.db.merge(job)
