# expect: R103
# target: sync
# before
import asyncpg
from app.db import SessionLocal


async def count_all(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM content")
