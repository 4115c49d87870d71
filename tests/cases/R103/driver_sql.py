# expect: R103 R103 R103
# before
import asyncpg
from app.db import SessionLocal

BY_OWNER = "SELECT id FROM items WHERE owner_id = $1"
ALL_OWNERS = "SELECT id, name FROM owners ORDER BY name"


async def opening_hours(pool: asyncpg.Pool, shop_id: int):
    return await pool.fetch("SELECT id FROM shops WHERE opens = '09:00' AND closes <> ':late' AND id = $1", shop_id)


async def by_owner(pool: asyncpg.Pool, owner_id: int):
    return await pool.fetch(BY_OWNER, owner_id)


async def owners(pool: asyncpg.Pool):
    return await pool.fetch(ALL_OWNERS)
# after
import asyncpg
from sqlalchemy import text
from app.db import SessionLocal

BY_OWNER = "SELECT id FROM items WHERE owner_id = $1"
ALL_OWNERS = "SELECT id, name FROM owners ORDER BY name"


async def opening_hours(pool: asyncpg.Pool, shop_id: int):
    async with SessionLocal.begin() as db:
        return (await (await db.connection()).exec_driver_sql(
            "SELECT id FROM shops WHERE opens = '09:00' AND closes <> ':late' AND id = $1",
            (shop_id,),
        )).mappings().all()


async def by_owner(pool: asyncpg.Pool, owner_id: int):
    async with SessionLocal.begin() as db:
        return (await (await db.connection()).exec_driver_sql(BY_OWNER, (owner_id,))).mappings().all()


async def owners(pool: asyncpg.Pool):
    async with SessionLocal.begin() as db:
        return (await db.execute(text(ALL_OWNERS))).mappings().all()
