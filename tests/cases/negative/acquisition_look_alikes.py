from app.registry import Container
from sqlalchemy.ext.asyncio import async_sessionmaker

AsyncSessionLocal = async_sessionmaker(expire_on_commit=False)


def mailer():
    return Container.resolve("mailer")


def cache_factory():
    Container.register_factory("cache", dict)


def iterate(items):
    return next(iter(items))


async def jobs():
    async with AsyncSessionLocal() as db:
        return db


def first_item(get_items):
    return next(get_items())


def browse():
    import requests

    with requests.Session() as http:
        return http.get("https://example.org")
