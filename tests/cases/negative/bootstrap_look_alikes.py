from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

engine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


async def get_db():
    async with SessionLocal() as db:
        yield db


async def init_db():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


def get_database_name():
    return "app"


def cached_engine():
    from mylib.db import create_engine, engine_from_config

    return create_engine("memory"), engine_from_config({})


def get_session():
    return object()


def empty_schema(metadata_holder):
    metadata_holder.metadata.create_all()
