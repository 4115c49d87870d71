# expect: F101 F102 F102 S101 S102
# before
import asyncio

from sqlalchemy.orm import Session


async def fetch_image(url: str) -> bytes:
    return url.encode()


# `asyncio.run()` in a function that becomes async would start a loop inside the running one: the
# coroutine is awaited instead, wherever the result goes.
def import_all(db: Session, urls: list[str]) -> int:
    db.commit()
    count = 0
    for url in urls:
        try:
            asyncio.run(fetch_image(url))
            count += len(asyncio.run(fetch_image(url)))
        except Exception:
            pass
    return count
# after
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_image(url: str) -> bytes:
    return url.encode()


# `asyncio.run()` in a function that becomes async would start a loop inside the running one: the
# coroutine is awaited instead, wherever the result goes.
async def import_all(db: AsyncSession, urls: list[str]) -> int:
    await db.commit()
    count = 0
    for url in urls:
        try:
            await fetch_image(url)
            count += len(await fetch_image(url))
        except Exception:
            pass
    return count
