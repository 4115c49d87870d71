from functools import cached_property

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Job


class JobRepo:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get_one(self, job_id: int):
        return (await self.session.scalars(select(Job).where(Job.id == job_id))).first()


class AllRepos:
    def __init__(self, session: AsyncSession):
        self.session = session

    @cached_property
    def jobs(self) -> JobRepo:
        return JobRepo(self.session)

    @property
    def same_jobs(self):
        return JobRepo(self.session)


def get_repos(session):
    return AllRepos(session)
