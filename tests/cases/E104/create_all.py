# expect: E104 E104 E104 E104 E104 E104 F107
# before
from app.models import Base, engine

Base.metadata.create_all(bind=engine)


async def init_db():
    Base.metadata.create_all(bind=engine)


async def reset():
    # start from nothing
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine, checkfirst=False)
    seed()


async def tables_exist():
    return Base.metadata.create_all(engine)


async def already_async(async_engine):
    async with async_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


def dunder():
    class Holder:
        def __init__(self):
            Base.metadata.create_all(bind=engine)
# after
from app.models import Base, engine

Base.metadata.create_all(bind=engine)


async def init_db():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def reset():
    # start from nothing
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all, checkfirst=False)
    seed()


async def tables_exist():
    return Base.metadata.create_all(engine)


async def already_async(async_engine):
    async with async_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


def dunder():
    class Holder:
        def __init__(self):
            Base.metadata.create_all(bind=engine)
