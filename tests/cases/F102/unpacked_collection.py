# expect: F101 F101 F101 F102 F102 F102 S101 S102
# before
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


# Unpacked from a list of members, each is a member: its repositories' methods become async.
def jobs_of_both(members: list[Member]) -> int:
    first, second = members
    return first.repos.count_jobs() + second.repos.count_jobs()



# Unpacked in a loop over a literal list of rows, `member` is a member in every row.
def jobs_per_member(first: Member, second: Member) -> list[int]:
    counts = []
    for member, label in [(first, "first"), (second, "second")]:
        counts.append(member.repos.count_jobs())
    return counts
# after
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


# Unpacked from a list of members, each is a member: its repositories' methods become async.
async def jobs_of_both(members: list[Member]) -> int:
    first, second = members
    return await first.repos.count_jobs() + await second.repos.count_jobs()



# Unpacked in a loop over a literal list of rows, `member` is a member in every row.
async def jobs_per_member(first: Member, second: Member) -> list[int]:
    counts = []
    for member, label in [(first, "first"), (second, "second")]:
        counts.append(await member.repos.count_jobs())
    return counts
