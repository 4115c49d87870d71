# expect: F101 F101 F101 F101 F102 F102 F102 S101 S101 S101 S102 S102 S102
# before
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


# `safe_try` only calls what it is handed (and reads its name for the log): a lambda that hands on a
# function's coroutine is handed that function. Every one of them becomes async, so `safe_try` awaits `func()`
# and the lambdas stay as they are.
def safe_try(func: Callable):
    try:
        func()
    except Exception as e:
        logger.error(f"Error calling '{func.__name__}': {e}")


def fix_names(session: Session):
    session.execute(text("UPDATE foods SET name = lower(name)"))
    session.commit()


def fix_groups(session: Session):
    session.execute(text("DELETE FROM groups WHERE name IS NULL"))


def main(session: Session):
    safe_try(lambda: fix_names(session))
    safe_try(lambda: fix_groups(session))
# after
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)


# `safe_try` only calls what it is handed (and reads its name for the log): a lambda that hands on a
# function's coroutine is handed that function. Every one of them becomes async, so `safe_try` awaits `func()`
# and the lambdas stay as they are.
async def safe_try(func: Callable):
    try:
        await func()
    except Exception as e:
        logger.error(f"Error calling '{func.__name__}': {e}")


async def fix_names(session: AsyncSession):
    await session.execute(text("UPDATE foods SET name = lower(name)"))
    await session.commit()


async def fix_groups(session: AsyncSession):
    await session.execute(text("DELETE FROM groups WHERE name IS NULL"))


async def main(session: AsyncSession):
    await safe_try(lambda: fix_names(session))
    await safe_try(lambda: fix_groups(session))
