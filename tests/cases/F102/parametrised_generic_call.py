# expect: F101 F101 F102 S101 S102 S102
# before
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")


class HttpRepo(Generic[T]):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_one(self, item_id: int) -> T:
        return self.session.execute(text("SELECT 1")).scalar_one()


class Controller:
    def __init__(self, session: Session) -> None:
        self.session = session

    # A generic class parametrised where it is built (`HttpRepo[int](...)`) is still HttpRepo.
    @property
    def mixins(self):
        return HttpRepo[int](self.session)

    def get_one(self, item_id: int) -> int:
        return self.mixins.get_one(item_id)
# after
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class HttpRepo(Generic[T]):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_one(self, item_id: int) -> T:
        return (await self.session.execute(text("SELECT 1"))).scalar_one()


class Controller:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # A generic class parametrised where it is built (`HttpRepo[int](...)`) is still HttpRepo.
    @property
    def mixins(self):
        return HttpRepo[int](self.session)

    async def get_one(self, item_id: int) -> int:
        return await self.mixins.get_one(item_id)
