# expect: R103 R103 R103 R103 X101
# before
import json

import asyncpg
from app.db import SessionLocal


def _content(row: asyncpg.Record) -> dict:
    item = dict(row)
    item["meta"] = json.loads(row["meta"])
    return item


def content_dict(row: asyncpg.Record) -> dict:
    return {"id": row["id"], "meta": json.loads(row["meta"])}


async def get(pool: asyncpg.Pool, content_id: int):
    row = await pool.fetchrow("SELECT id, meta FROM content WHERE id = $1", content_id)
    return _content(row)


async def listing(pool: asyncpg.Pool, sort: str):
    rows = await pool.fetch(f"SELECT id, meta FROM content ORDER BY {sort}")
    return [_content(row) for row in rows]


async def exported(pool: asyncpg.Pool, content_id: int):
    return content_dict(await pool.fetchrow("SELECT id, meta FROM content WHERE id = $1", content_id))


async def count(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM content")
# after
import json

import asyncpg
from sqlalchemy import text
from app.db import SessionLocal


def _content(row: asyncpg.Record) -> dict:
    item = dict(row)
    item["meta"] = json.loads(row["meta"])
    return item


def content_dict(row: asyncpg.Record) -> dict:
    return {"id": row["id"], "meta": json.loads(row["meta"])}


async def get(pool: asyncpg.Pool, content_id: int):
    row = await pool.fetchrow("SELECT id, meta FROM content WHERE id = $1", content_id)
    return _content(row)


async def listing(pool: asyncpg.Pool, sort: str):
    rows = await pool.fetch(f"SELECT id, meta FROM content ORDER BY {sort}")
    return [_content(row) for row in rows]


async def exported(pool: asyncpg.Pool, content_id: int):
    return content_dict(await pool.fetchrow("SELECT id, meta FROM content WHERE id = $1", content_id))


async def count(pool: asyncpg.Pool) -> int:
    async with SessionLocal.begin() as db:
        return (await db.execute(text("SELECT count(*) FROM content"))).scalar()
