from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1/test")
reporting_engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1/reports")
