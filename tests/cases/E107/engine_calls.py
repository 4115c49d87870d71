# expect: E101 E101 E107 E107 E107 E107 E107 E107
# before
import atexit

from sqlalchemy import create_engine, text

engine = create_engine("sqlite:///app.db")
reporting = create_engine("sqlite:///reports.db", strategy="mock")


def pytest_sessionfinish(session, exitstatus):
    engine.dispose()


@atexit.register
def close_pool():
    engine.dispose()


def release():
    engine.dispose()


atexit.register(release)


async def shutdown():
    # the pool's connections go with it
    engine.dispose()


async def handed_on():
    await engine.dispose()


async def row_count():
    with engine.connect() as conn:
        return conn.execute(text("select count(*) from jobs")).scalar()


async def already_async():
    async with engine.begin() as conn:
        await conn.execute(text("select 1"))


def unknown_engine_stays_sync():
    reporting.dispose()


async def purge():
    with engine.begin():
        pass
# after
import asyncio
import atexit

from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("sqlite+aiosqlite:///app.db")
reporting = create_engine("sqlite:///reports.db", strategy="mock")


def pytest_sessionfinish(session, exitstatus):
    asyncio.run(engine.dispose())


@atexit.register
def close_pool():
    asyncio.run(engine.dispose())


def release():
    asyncio.run(engine.dispose())


atexit.register(release)


async def shutdown():
    # the pool's connections go with it
    await engine.dispose()


async def handed_on():
    await engine.dispose()


async def row_count():
    async with engine.connect() as conn:
        return (await conn.execute(text("select count(*) from jobs"))).scalar()


async def already_async():
    async with engine.begin() as conn:
        await conn.execute(text("select 1"))


def unknown_engine_stays_sync():
    reporting.dispose()


async def purge():
    async with engine.begin():
        pass
