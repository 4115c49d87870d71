# expect: R103 R104
# before
import asyncpg


async def move(conn: asyncpg.Connection, a: int, b: int):
    async with conn.transaction():
        await conn.execute("UPDATE items SET slot = $2 WHERE id = $1", a, b)
