# expect: F101 F101 F102 S101 S102 S102 S102
# before
import contextlib
from collections.abc import Generator

from sqlalchemy import text
from sqlalchemy.orm import Session


class Repositories:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count_jobs(self) -> int:
        return self.session.execute(text("SELECT count(*) FROM jobs")).scalar_one()


class Listener:
    def __init__(self, session: Session) -> None:
        self.session = session

    # A generator context manager hands out what it yields: `repos` is a Repositories, not a Generator.
    @contextlib.contextmanager
    def repositories(self) -> Generator[Repositories, None, None]:
        yield Repositories(self.session)

    def subscribers(self, session: Session) -> int:
        with self.repositories() as repos:
            return repos.count_jobs()
# after
import contextlib
from collections.abc import Generator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Repositories:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_jobs(self) -> int:
        return (await self.session.execute(text("SELECT count(*) FROM jobs"))).scalar_one()


class Listener:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # A generator context manager hands out what it yields: `repos` is a Repositories, not a Generator.
    @contextlib.contextmanager
    def repositories(self) -> Generator[Repositories, None, None]:
        yield Repositories(self.session)

    async def subscribers(self, session: AsyncSession) -> int:
        with self.repositories() as repos:
            return await repos.count_jobs()
