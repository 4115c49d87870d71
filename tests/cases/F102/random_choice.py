# expect: F101 F101 F102 S101 S102
# before
import random
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


class Repositories:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count_jobs(self) -> int:
        return self.session.execute(text("SELECT count(*) FROM jobs")).scalar_one()


@dataclass
class Member:
    name: str
    repos: Repositories


# `random.choice(members)` is one of the members: its repositories' methods become async.
def jobs_of_anyone(members: tuple[Member, Member]) -> int:
    member = random.choice(members)
    return member.repos.count_jobs()
# after
import random
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Repositories:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_jobs(self) -> int:
        return (await self.session.execute(text("SELECT count(*) FROM jobs"))).scalar_one()


@dataclass
class Member:
    name: str
    repos: Repositories


# `random.choice(members)` is one of the members: its repositories' methods become async.
async def jobs_of_anyone(members: tuple[Member, Member]) -> int:
    member = random.choice(members)
    return await member.repos.count_jobs()
