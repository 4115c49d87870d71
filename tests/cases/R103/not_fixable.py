# expect: R102 R102 R102 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R103 R104 X101 X101
# before
import asyncpg
from app.db import SessionLocal


async def with_caller_connection(conn: asyncpg.Connection, item_id: int):
    return await conn.fetchrow("SELECT * FROM items WHERE id = $1", item_id)


async def handed_on(pool: asyncpg.Pool, item_id: int):
    return await asyncio.wait_for(pool.fetchrow("SELECT * FROM items WHERE id = $1", item_id), 5)


async def with_timeout(pool: asyncpg.Pool, item_id: int):
    return await pool.fetchrow("SELECT * FROM items WHERE id = $1", item_id, timeout=5)


async def in_a_header(pool: asyncpg.Pool, item_id: int):
    if await pool.fetchval("SELECT count(*) FROM items WHERE id = $1", item_id):
        return True
    return False


async def status_returned(pool: asyncpg.Pool, item_id: int):
    return await pool.execute("DELETE FROM items WHERE id = $1", item_id)


async def both_ways(pool: asyncpg.Pool, item_id: int):
    row = await pool.fetchrow("SELECT id, title FROM items WHERE id = $1", item_id)
    return row[0], row["title"]


async def script(pool: asyncpg.Pool):
    await pool.execute("CREATE TABLE a (id int); CREATE TABLE b (id int)")


async def wrong_count(pool: asyncpg.Pool, item_id: int, extra: int):
    return await pool.fetchval("SELECT count(*) FROM items WHERE id = $1", item_id, extra)


async def unknown_sql(pool: asyncpg.Pool, sql: str):
    return await pool.fetch(sql)


async def sorted_by(pool: asyncpg.Pool, column: str):
    return await pool.fetch(f"SELECT * FROM items ORDER BY {column}")


async def half(pool: asyncpg.Pool, item_id: int, column: str):
    total = await pool.fetchval("SELECT count(*) FROM items")
    rows = await pool.fetch("SELECT * FROM items ORDER BY " + column)
    return total, rows


async def released_by_hand(pool: asyncpg.Pool, item_id: int):
    conn = await pool.acquire()
    try:
        return await conn.fetchval("SELECT name FROM items WHERE id = $1", item_id)
    finally:
        await pool.release(conn)


async def connection_passed_on(pool: asyncpg.Pool, item_id: int):
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM items WHERE id = $1", item_id)
        await audit(conn, item_id)


async def isolated(pool: asyncpg.Pool, item_id: int):
    async with pool.acquire() as conn:
        async with conn.transaction(isolation="serializable"):
            await conn.execute("DELETE FROM items WHERE id = $1", item_id)


def sync_function(pool: asyncpg.Pool):
    return pool.fetch("SELECT 1")
