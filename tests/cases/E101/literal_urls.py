# expect: E101 E101 E101 E101 E101
# before
import sqlalchemy as sa
from sqlalchemy import QueuePool, create_engine

sqlite = create_engine("sqlite:///./jobs.db", connect_args={"check_same_thread": False})
postgres = create_engine("postgresql://app@db/jobs?sslmode=require", future=True, poolclass=QueuePool, pool_size=5)
heroku = sa.create_engine('postgres://app:secret@db/jobs')
mysql = create_engine(url="mysql+pymysql://app@db/jobs", autocommit=False)
already = create_engine("postgresql+asyncpg://app@db/jobs")
# after
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

sqlite = create_async_engine(
    "sqlite+aiosqlite:///./jobs.db",
    connect_args={"check_same_thread": False},
)
postgres = create_async_engine(
    "postgresql+asyncpg://app@db/jobs?ssl=require",
    poolclass=AsyncAdaptedQueuePool,
    pool_size=5,
)
heroku = create_async_engine('postgresql+asyncpg://app:secret@db/jobs')
mysql = create_async_engine(url="mysql+aiomysql://app@db/jobs")
already = create_async_engine("postgresql+asyncpg://app@db/jobs")
