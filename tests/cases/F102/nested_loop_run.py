# expect: F101 F101 F102 F102 F102 S101 S101 S102 S102
# before
import asyncio

from sqlalchemy.orm import Session


async def parse(text: str) -> str:
    return text.strip()


# `loop.run_until_complete()` on the thread's loop in a function that becomes async would run a loop inside
# the running one: the coroutine is awaited instead, whichever loop of asyncio's it was.
def parse_all(db: Session, texts: list[str]) -> list[str]:
    db.commit()
    loop = asyncio.get_event_loop()
    fresh = asyncio.new_event_loop()
    parsed = [loop.run_until_complete(parse(text)) for text in texts]
    parsed.append(fresh.run_until_complete(parse("x")))
    return parsed


# A loop still read after the call (closed here) stays; only a loop nothing reads any more goes.
def parse_one(db: Session, text: str) -> str:
    db.commit()
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(parse(text))
    finally:
        loop.close()
# after
import asyncio

from sqlalchemy.ext.asyncio import AsyncSession


async def parse(text: str) -> str:
    return text.strip()


# `loop.run_until_complete()` on the thread's loop in a function that becomes async would run a loop inside
# the running one: the coroutine is awaited instead, whichever loop of asyncio's it was.
async def parse_all(db: AsyncSession, texts: list[str]) -> list[str]:
    await db.commit()
    parsed = [await parse(text) for text in texts]
    parsed.append(await parse("x"))
    return parsed


# A loop still read after the call (closed here) stays; only a loop nothing reads any more goes.
async def parse_one(db: AsyncSession, text: str) -> str:
    await db.commit()
    loop = asyncio.new_event_loop()
    try:
        return await parse(text)
    finally:
        loop.close()
