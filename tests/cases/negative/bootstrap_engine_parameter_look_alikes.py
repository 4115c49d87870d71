"""Engine parameters E107 leaves alone: a function that does no I/O through its engine (it stays sync), an
`Engine` that is not SQLAlchemy's, a parameter without annotation, and one already annotated `AsyncEngine`."""
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from app.search import Engine as SearchEngine


def describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def reindex(engine: SearchEngine) -> None:
    with engine.begin() as batch:
        batch.execute("rebuild")


def unannotated(engine):
    return engine.pool.status()


async def already_async(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync_connection: None)
