from app.registry import Container
from sqlalchemy.ext.asyncio import async_sessionmaker

AsyncSessionLocal = async_sessionmaker()


def mailer():
    return Container.resolve("mailer")


def cache_factory():
    Container.register_factory("cache", dict)


def iterate(items):
    return next(iter(items))


async def jobs():
    async with AsyncSessionLocal() as db:
        return db
