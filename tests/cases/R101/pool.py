# expect: R101 R102 R103 R103 R103 R104
# before
import asyncpg

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


async def count_all(pool: asyncpg.Pool):
    return await pool.fetchval("SELECT count(*) FROM content")
