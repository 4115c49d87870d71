# expect: D101 E101 E102
# before
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("postgresql://localhost/app")


def organization_session(slug: str):
    schema_engine = engine.execution_options(schema_translate_map={None: f"org_{slug}"})
    return sessionmaker(bind=schema_engine)()
# after
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine("postgresql+asyncpg://localhost/app")


def organization_session(slug: str):
    schema_engine = engine.execution_options(schema_translate_map={None: f"org_{slug}"})
    return async_sessionmaker(schema_engine, expire_on_commit=False)()
