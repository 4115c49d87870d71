# expect: R101 R102 R103 R103 R104
# before
import asyncpg
from app.db import SessionLocal

_pool = None


async def init_pool(dsn):
    global _pool
    _pool = await asyncpg.create_pool(dsn, min_size=1, max_size=5)


async def get_content(content_id):
    async with _pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM content WHERE id = $1::int", content_id)
        async with conn.transaction():
            await conn.execute("UPDATE content SET views = views + 1 WHERE id = $1", content_id)
        return row
# after
import asyncpg
from sqlalchemy import text
from app.db import SessionLocal

_pool = None


async def init_pool(dsn):
    global _pool
    _pool = await asyncpg.create_pool(dsn, min_size=1, max_size=5)


async def get_content(content_id):
    async with SessionLocal() as db:
        async with db.begin():
            row = (await db.execute(
                text("SELECT * FROM content WHERE id = CAST(:content_id AS int)"),
                {"content_id": content_id},
            )).mappings().first()
        async with db.begin():
            await db.execute(
                text("UPDATE content SET views = views + 1 WHERE id = :content_id"),
                {"content_id": content_id},
            )
        return row
