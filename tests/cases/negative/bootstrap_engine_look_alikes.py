"""Engines that are not SQLAlchemy's, engines already used the async way, and inspect() of other things."""
import inspect as pyinspect

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.rendering import engine as template_engine
from app.search import SearchEngine

engine = create_async_engine("sqlite+aiosqlite:///app.db")
search = SearchEngine()


async def close():
    await engine.dispose()


async def count(statement):
    async with engine.connect() as conn:
        return await conn.scalar(statement)


def describe(job):
    return inspect(job).attrs, pyinspect.signature(describe)


def reset_search():
    search.dispose()
    template_engine.dispose()


async def tables():
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())
