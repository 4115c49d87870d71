import asyncpg
from sqlalchemy import create_engine

report_engine = create_engine("sqlite:///reports.db")


async def connect(url):
    return await asyncpg.create_pool(url)
