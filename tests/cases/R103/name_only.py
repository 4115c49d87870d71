# expect: R103 R103
# before
from app.core.database import get_pool


async def list_titles(status):
    pool = await get_pool()
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT title FROM content WHERE status = $1", status)
        await conn.executemany("INSERT INTO seen (title) VALUES ($1)", [(r["title"],) for r in rows])
    return rows
