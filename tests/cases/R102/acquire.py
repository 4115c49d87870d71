# expect: R102 R103
# before
async def handler(pool: asyncpg.Pool, item_id: int):
    conn = await pool.acquire()
    try:
        return await conn.fetchval("SELECT name FROM items WHERE id = $1", item_id)
    finally:
        await pool.release(conn)
