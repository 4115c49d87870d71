# expect: R102 R102 R102 R103 R103 R103 R103 R103 R103 R103 R104 R104
# before
import asyncpg
from app.db import SessionLocal


async def enqueue(pool: asyncpg.Pool, content_id: int, kinds: list[str]):
    async with pool.acquire() as conn:
        async with conn.transaction():
            status = await conn.fetchval("SELECT status FROM content WHERE id = $1 FOR UPDATE", content_id)
            if status is None:
                return None
            await conn.executemany(
                "INSERT INTO jobs (content_id, kind) VALUES ($1, $2)",
                [(content_id, kind) for kind in kinds],
            )
            async with conn.transaction():
                await conn.execute("UPDATE content SET status = 'queued' WHERE id = $1", content_id)
        await conn.execute("INSERT INTO audit (content_id) VALUES ($1)", content_id)
        return await conn.fetch("SELECT id, kind FROM jobs WHERE content_id = $1", content_id)


async def tag_all(pool: asyncpg.Pool, pairs):
    async with pool.acquire() as conn:
        await conn.executemany("INSERT INTO tags (item_id, tag) VALUES ($1, $2)", pairs)


async def seed(pool: asyncpg.Pool):
    async with pool.acquire() as conn:
        await conn.executemany("INSERT INTO tags (item_id, tag) VALUES ($1, $2)", [(1, "a"), (2, "b")])
# after
import asyncpg
from sqlalchemy import text
from app.db import SessionLocal


async def enqueue(pool: asyncpg.Pool, content_id: int, kinds: list[str]):
    async with SessionLocal() as db:
        async with db.begin():
            status = (await db.execute(
                text("SELECT status FROM content WHERE id = :content_id FOR UPDATE"),
                {"content_id": content_id},
            )).scalar()
            if status is None:
                return None
            params = [{"content_id": content_id, "kind": kind} for kind in kinds]
            if params:
                await db.execute(
                    text("INSERT INTO jobs (content_id, kind) VALUES (:content_id, :kind)"),
                    params,
                )
            async with db.begin_nested():
                await db.execute(
                    text("UPDATE content SET status = 'queued' WHERE id = :content_id"),
                    {"content_id": content_id},
                )
        async with db.begin():
            await db.execute(
                text("INSERT INTO audit (content_id) VALUES (:content_id)"),
                {"content_id": content_id},
            )
        async with db.begin():
            return (await db.execute(
                text("SELECT id, kind FROM jobs WHERE content_id = :content_id"),
                {"content_id": content_id},
            )).mappings().all()


async def tag_all(pool: asyncpg.Pool, pairs):
    async with SessionLocal.begin() as db:
        params = [{"p1": p1, "p2": p2} for p1, p2 in pairs]
        if params:
            await db.execute(text("INSERT INTO tags (item_id, tag) VALUES (:p1, :p2)"), params)


async def seed(pool: asyncpg.Pool):
    async with SessionLocal.begin() as db:
        await db.execute(
            text("INSERT INTO tags (item_id, tag) VALUES (:p1, :p2)"),
            [{"p1": 1, "p2": "a"}, {"p1": 2, "p2": "b"}],
        )
