# expect: F101 F101 F101 F101 F102 F102 F102 S101 S102
# before
from sqlalchemy import text
from sqlalchemy.orm import Session


class Units:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page_all(self) -> list:
        return self.session.execute(text("SELECT * FROM units")).all()


# A fixture's tuple: each position holds a value of its own type.
def first_page(found: tuple[Units, int, str]) -> list:
    units = found[0]
    return units.page_all()


def last_page(found: tuple[str, Units]) -> list:
    return found[-1].page_all()


def unpacked_page(found: tuple[Units, int]) -> list:
    units, count = found
    return units.page_all()[:count]


# The position holds an int: nothing to await.
def counted(found: tuple[Units, int]) -> int:
    return found[1].bit_length()
# after
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Units:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page_all(self) -> list:
        return (await self.session.execute(text("SELECT * FROM units"))).all()


# A fixture's tuple: each position holds a value of its own type.
async def first_page(found: tuple[Units, int, str]) -> list:
    units = found[0]
    return await units.page_all()


async def last_page(found: tuple[str, Units]) -> list:
    return await found[-1].page_all()


async def unpacked_page(found: tuple[Units, int]) -> list:
    units, count = found
    return (await units.page_all())[:count]


# The position holds an int: nothing to await.
def counted(found: tuple[Units, int]) -> int:
    return found[1].bit_length()
