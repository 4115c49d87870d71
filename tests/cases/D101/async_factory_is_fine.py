# expect: none
# before
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.core.database import engine

SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def job_runner():
    async with SessionLocal() as db:
        return db
