# expect: R103 R103 R103 R103 R103 R103 R103
# before
import json

import asyncpg
from app.db import SessionLocal


def _item(row: asyncpg.Record) -> dict:
    item = dict(row)
    item["meta"] = json.loads(row["meta"])
    return item


async def get_item(pool: asyncpg.Pool, item_id: int):
    row = await pool.fetchrow("SELECT id, title, meta FROM items WHERE id = $1::int", item_id)
    return None if row is None else _item(row)


async def search(pool: asyncpg.Pool, owner_id: int, term: str):
    rows = await pool.fetch(
        "SELECT id, title, meta FROM items "
        "WHERE owner_id = $1 AND (title ILIKE '%' || $2 || '%' OR body ILIKE '%' || $2 || '%') "
        "AND price_note <> 'costs $1' -- $3 is not a parameter\n"
        "ORDER BY id",
        owner_id,
        term,
    )
    return [_item(row) for row in rows]


async def get_many(pool: asyncpg.Pool, item_ids: list[int]):
    rows = await pool.fetch("SELECT id, title, meta FROM items WHERE id = ANY($1) ORDER BY id", item_ids)
    return [_item(row) for row in rows]


async def count(pool: asyncpg.Pool, owner_id: int) -> int:
    return await pool.fetchval("SELECT count(*) FROM items WHERE owner_id = $1", owner_id)


async def settings(pool: asyncpg.Pool, owner_id: int) -> dict:
    raw = await pool.fetchval("SELECT settings FROM owners WHERE id = $1", owner_id)
    return json.loads(raw)


async def delete(pool: asyncpg.Pool, item_id: int) -> bool:
    status = await pool.execute("DELETE FROM items WHERE id = $1", item_id)
    return status == "DELETE 1"


async def stats(pool: asyncpg.Pool, owner_id: int) -> dict:
    row = await pool.fetchrow("SELECT count(*), sum(size) FROM items WHERE owner_id = $1", owner_id)
    return {"items": row[0], "bytes": row[1]}
# after
import asyncpg
from sqlalchemy import RowMapping, bindparam, text
from app.db import SessionLocal


def _item(row: RowMapping) -> dict:
    item = dict(row)
    item["meta"] = row["meta"]
    return item


async def get_item(pool: asyncpg.Pool, item_id: int):
    async with SessionLocal.begin() as db:
        row = (await db.execute(
            text("SELECT id, title, meta FROM items WHERE id = CAST(:item_id AS int)"),
            {"item_id": item_id},
        )).mappings().first()
    return None if row is None else _item(row)


async def search(pool: asyncpg.Pool, owner_id: int, term: str):
    async with SessionLocal.begin() as db:
        rows = (await db.execute(
            text("SELECT id, title, meta FROM items "
                 "WHERE owner_id = :owner_id AND (title ILIKE '%' || :term || '%' OR body ILIKE '%' || :term || '%') "
                 "AND price_note <> 'costs $1' -- $3 is not a parameter\n"
                 "ORDER BY id"),
            {"owner_id": owner_id, "term": term},
        )).mappings().all()
    return [_item(row) for row in rows]


async def get_many(pool: asyncpg.Pool, item_ids: list[int]):
    async with SessionLocal.begin() as db:
        rows = (await db.execute(
            text("SELECT id, title, meta FROM items WHERE id IN :item_ids ORDER BY id")
            .bindparams(bindparam("item_ids", expanding=True)),
            {"item_ids": item_ids},
        )).mappings().all()
    return [_item(row) for row in rows]


async def count(pool: asyncpg.Pool, owner_id: int) -> int:
    async with SessionLocal.begin() as db:
        return (await db.execute(
            text("SELECT count(*) FROM items WHERE owner_id = :owner_id"),
            {"owner_id": owner_id},
        )).scalar()


async def settings(pool: asyncpg.Pool, owner_id: int) -> dict:
    async with SessionLocal.begin() as db:
        raw = (await db.execute(
            text("SELECT settings FROM owners WHERE id = :owner_id"),
            {"owner_id": owner_id},
        )).scalar()
    return raw


async def delete(pool: asyncpg.Pool, item_id: int) -> bool:
    async with SessionLocal.begin() as db:
        status = await db.execute(text("DELETE FROM items WHERE id = :item_id"), {"item_id": item_id})
    return status.rowcount == 1


async def stats(pool: asyncpg.Pool, owner_id: int) -> dict:
    async with SessionLocal.begin() as db:
        row = (await db.execute(
            text("SELECT count(*), sum(size) FROM items WHERE owner_id = :owner_id"),
            {"owner_id": owner_id},
        )).first()
    return {"items": row[0], "bytes": row[1]}
