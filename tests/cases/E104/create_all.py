# expect: E104 E104
# before
from app.models import Base, engine


def init_db():
    Base.metadata.create_all(bind=engine)


def reset():
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


async def already_async(async_engine):
    async with async_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
