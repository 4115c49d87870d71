from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Job


class JobRepo:
    def __init__(self, session: Session):
        self.session = session

    def get_one(self, job_id: int):
        return self.session.scalars(select(Job).where(Job.id == job_id)).first()


class AllRepos:
    def __init__(self, session: Session):
        self.session = session

    @cached_property
    def jobs(self) -> JobRepo:
        return JobRepo(self.session)

    @property
    def same_jobs(self):
        return JobRepo(self.session)


def get_repos(session):
    return AllRepos(session)
