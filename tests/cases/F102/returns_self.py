# expect: F101 F101 F102 S101 S102 S102
# before
from typing import Self

from sqlalchemy import text
from sqlalchemy.orm import Session


class Recipes:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.user_id = None

    # A fluent setter: `-> Self` is the repository it is called on.
    def by_user(self, user_id: int) -> Self:
        self.user_id = user_id
        return self

    def count(self) -> int:
        return self.session.execute(text("SELECT count(*) FROM recipes")).scalar_one()


def count_for(session: Session, user_id: int) -> int:
    return Recipes(session).by_user(user_id).count()
# after
from typing import Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Recipes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.user_id = None

    # A fluent setter: `-> Self` is the repository it is called on.
    def by_user(self, user_id: int) -> Self:
        self.user_id = user_id
        return self

    async def count(self) -> int:
        return (await self.session.execute(text("SELECT count(*) FROM recipes"))).scalar_one()


async def count_for(session: AsyncSession, user_id: int) -> int:
    return await Recipes(session).by_user(user_id).count()
