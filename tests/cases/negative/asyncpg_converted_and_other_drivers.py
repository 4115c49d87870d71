import sqlite3

import aiosqlite
from app.db import SessionLocal
from sqlalchemy import RowMapping, bindparam, text


def _item(row: RowMapping) -> dict:
    return dict(row)


async def get_many(pool, item_ids: list[int]):
    async with SessionLocal.begin() as db:
        rows = (await db.execute(
            text("SELECT id, title FROM items WHERE id IN :item_ids ORDER BY id")
            .bindparams(bindparam("item_ids", expanding=True)),
            {"item_ids": item_ids},
        )).mappings().all()
    return [_item(row) for row in rows]


async def by_owner(pool, owner_id: int):
    async with SessionLocal.begin() as db:
        return (await (await db.connection()).exec_driver_sql(
            "SELECT id FROM items WHERE owner_id = $1", (owner_id,))).mappings().all()


async def enqueue(pool, content_id: int, kinds: list[str]):
    async with SessionLocal() as db:
        async with db.begin():
            params = [{"content_id": content_id, "kind": kind} for kind in kinds]
            if params:
                await db.execute(text("INSERT INTO jobs (content_id, kind) VALUES (:content_id, :kind)"), params)


async def local_file(path: str, item_id: int):
    async with aiosqlite.connect(path) as conn:
        cursor = await conn.execute("SELECT title FROM items WHERE id = ?", (item_id,))
        return await cursor.fetchone()


def report(path: str):
    conn = sqlite3.connect(path)
    return conn.execute("SELECT count(*) FROM items").fetchone()
