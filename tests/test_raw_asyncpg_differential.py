"""Converted asyncpg code behaves like the original on PostgreSQL.

A module of legacy services (pool shortcuts, acquire blocks, transactions, `executemany`, JSONB,
status strings, positional rows, `= ANY($1)`, casts, `$n` inside literals and comments, SQL that
`text()` would misread) is migrated in-process; then one scenario runs against the original on a raw
asyncpg pool and against the conversion on an AsyncSession factory, each on a fresh database. Every
return value and the final content of every table must be the same.
"""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from pathlib import Path

import asyncpg
import pytest
from support.databases import fresh_postgres_database

from sqlasync.analysis import migrate
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE owners (id SERIAL PRIMARY KEY, name TEXT NOT NULL, settings JSONB NOT NULL DEFAULT '{}');
CREATE TABLE items (
    id SERIAL PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES owners (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    price_note TEXT NOT NULL,
    opens TEXT NOT NULL DEFAULT '09:00',
    meta JSONB NOT NULL DEFAULT '{}'
);
CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items (id), tag TEXT NOT NULL);
"""

LEGACY = '''
import json

import asyncpg
from FACTORY_MODULE import SessionLocal


def _item(row: asyncpg.Record) -> dict:
    item = dict(row)
    item["meta"] = json.loads(row["meta"])
    return item


async def add_owner(pool: asyncpg.Pool, name: str, settings: dict) -> int:
    return await pool.fetchval(
        "INSERT INTO owners (name, settings) VALUES ($1, $2::jsonb) RETURNING id", name, json.dumps(settings)
    )


async def owner_settings(pool: asyncpg.Pool, owner_id: int) -> dict:
    raw = await pool.fetchval("SELECT settings FROM owners WHERE id = $1", owner_id)
    return json.loads(raw)


async def add_item(pool: asyncpg.Pool, owner_id: int, title: str, meta: dict, price_note=None):
    async with pool.acquire() as conn:
        async with conn.transaction():
            exists = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM owners WHERE id = $1)", owner_id)
            if not exists:
                return None
            row = await conn.fetchrow(
                "INSERT INTO items (owner_id, title, meta, price_note) "
                "VALUES ($1, $2, $3::jsonb, COALESCE($4, 'costs $1')) "
                "RETURNING id, owner_id, title, status, price_note, meta",
                owner_id,
                title,
                json.dumps(meta),
                price_note,
            )
    return _item(row)


async def get_item(pool: asyncpg.Pool, item_id: int):
    row = await pool.fetchrow(
        "SELECT id, owner_id, title, status, price_note, meta FROM items WHERE id = $1::int", item_id
    )
    return None if row is None else _item(row)


async def search(pool: asyncpg.Pool, owner_id: int, term: str):
    rows = await pool.fetch(
        "SELECT id, owner_id, title, status, price_note, meta FROM items "
        "WHERE owner_id = $1 AND (title ILIKE '%' || $2 || '%' OR body ILIKE '%' || $2 || '%') "
        "-- $3 is not a parameter\\n"
        "ORDER BY id",
        owner_id,
        term,
    )
    return [_item(row) for row in rows]


async def get_many(pool: asyncpg.Pool, item_ids: list[int]):
    rows = await pool.fetch(
        "SELECT id, owner_id, title, status, price_note, meta FROM items WHERE id = ANY($1) ORDER BY id",
        item_ids,
    )
    return [_item(row) for row in rows]


async def premium(pool: asyncpg.Pool, owner_id: int):
    rows = await pool.fetch(
        "SELECT id, owner_id, title, status, price_note, meta FROM items "
        "WHERE owner_id = $1 AND price_note <> 'costs $1' ORDER BY id",
        owner_id,
    )
    return [_item(row) for row in rows]


async def opening_early(pool: asyncpg.Pool, owner_id: int):
    return await pool.fetch(
        "SELECT id, title FROM items WHERE opens = '09:00' AND title <> ':late' AND owner_id = $1 ORDER BY id",
        owner_id,
    )


async def count(pool: asyncpg.Pool, owner_id: int) -> int:
    return await pool.fetchval("SELECT count(*) FROM items WHERE owner_id = $1", owner_id)


async def archive(pool: asyncpg.Pool, owner_id: int) -> int:
    status = await pool.execute("UPDATE items SET status = 'archived' WHERE owner_id = $1 AND status = 'draft'",
                                owner_id)
    return int(status.split()[-1])


async def delete(pool: asyncpg.Pool, item_id: int) -> bool:
    status = await pool.execute("DELETE FROM items WHERE id = $1", item_id)
    return status == "DELETE 1"


async def stats(pool: asyncpg.Pool, owner_id: int) -> dict:
    row = await pool.fetchrow(
        "SELECT count(*), count(*) FILTER (WHERE status = 'archived') FROM items WHERE owner_id = $1", owner_id
    )
    return {"items": row[0], "archived": row[1]}


async def tag(pool: asyncpg.Pool, item_id: int, tags: list[str]):
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.executemany("INSERT INTO tags (item_id, tag) VALUES ($1, $2)", [(item_id, t) for t in tags])
        await conn.execute("UPDATE items SET status = 'tagged' WHERE id = $1", item_id)
        return await conn.fetch("SELECT tag FROM tags WHERE item_id = $1 ORDER BY tag", item_id)


async def retitle_then_fail(pool: asyncpg.Pool, item_id: int, title: str):
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("UPDATE items SET title = $2 WHERE id = $1", item_id, title)
            async with conn.transaction():
                await conn.execute("UPDATE items SET body = 'inner' WHERE id = $1", item_id)
            if title:
                raise RuntimeError("rolled back on purpose")
'''


async def _scenario(service, pool) -> list:
    """The same calls, in order, for the original and the conversion; returns what each returned."""
    out = []

    async def record(call):
        try:
            out.append(await call)
        except RuntimeError as error:
            out.append(f"raised {error}")

    owner = await service.add_owner(pool, "Ada", {"theme": "dark", "langs": ["en", "fr"]})
    other = await service.add_owner(pool, "Bob", {})
    await record(service.owner_settings(pool, owner))
    for title, meta, note in (("Moon Landing", {"n": 1}, None), ("Harvest moon", {"tags": ["a"]}, "costs $10"),
                              ("Rockets", {}, "costs $1 per view")):
        await record(service.add_item(pool, owner, title, meta, note))
    await record(service.add_item(pool, other, "Bob's", {"x": None}, "costs $5"))
    await record(service.add_item(pool, 999, "Orphan", {}))
    await record(service.get_item(pool, 1))
    await record(service.get_item(pool, 42))
    await record(service.search(pool, owner, "moon"))
    await record(service.get_many(pool, [3, 1, 77]))
    await record(service.get_many(pool, []))
    await record(service.premium(pool, owner))
    await record(service.opening_early(pool, owner))
    await record(service.count(pool, owner))
    await record(service.tag(pool, 1, ["b", "a"]))
    await record(service.tag(pool, 2, []))
    await record(service.retitle_then_fail(pool, 2, "Changed"))
    await record(service.archive(pool, owner))
    await record(service.archive(pool, owner))
    await record(service.stats(pool, owner))
    await record(service.delete(pool, 4))
    await record(service.delete(pool, 4))
    return out


def _plain(value):
    """Records, mappings and rows as plain dicts and tuples, so both worlds compare."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, asyncpg.Record) or hasattr(value, "keys"):
        return {k: _plain(v) for k, v in dict(value).items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(url: str) -> dict:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            found = {}
            for table, order in (("owners", "id"), ("items", "id"), ("tags", "item_id, tag")):
                cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
                found[table] = cursor.fetchall()
            return found
    finally:
        connection.close()


def _prepared(url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(SCHEMA)
    finally:
        connection.close()


def test_every_site_converts_and_the_conversion_returns_and_stores_the_same(postgres_server_url, tmp_path,
                                                                            monkeypatch):
    factory_module = f"differential_factory_{uuid.uuid4().hex[:8]}"
    source = LEGACY.replace("FACTORY_MODULE", factory_module)
    migration = migrate(source.encode(), "services.py", Config(root=tmp_path), FAMILIES, Selection(("R",)), "async")
    assert migration.updated is not None
    assert [f"{f.line}: {f.code} {f.reason}" for f in migration.left] == []
    converted_source = migration.updated.decode()
    # Only the SQL with `':late'` in it, which `text()` would misread, runs unchanged.
    assert converted_source.count("exec_driver_sql") == 1
    (tmp_path / "legacy_services.py").write_text(source)
    (tmp_path / "converted_services.py").write_text(converted_source)
    monkeypatch.syspath_prepend(str(tmp_path))

    with fresh_postgres_database(postgres_server_url) as legacy_url, \
            fresh_postgres_database(postgres_server_url) as converted_url:
        _prepared(legacy_url)
        _prepared(converted_url)
        asyncpg_url = converted_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        (tmp_path / f"{factory_module}.py").write_text(
            "from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine\n"
            f"engine = create_async_engine({asyncpg_url!r})\n"
            "SessionLocal = async_sessionmaker(engine, expire_on_commit=False)\n"
        )
        legacy = _load(tmp_path / "legacy_services.py", f"legacy_{factory_module}")
        converted = _load(tmp_path / "converted_services.py", f"converted_{factory_module}")

        async def run_legacy():
            pool = await asyncpg.create_pool(legacy_url, min_size=1, max_size=2)
            try:
                return await _scenario(legacy, pool)
            finally:
                await pool.close()

        async def run_converted():
            engine = importlib.import_module(factory_module).engine
            try:
                # The pool argument is no longer used: the sessions come from the factory.
                return await _scenario(converted, None)
            finally:
                await engine.dispose()

        expected = _plain(asyncio.run(run_legacy()))
        actual = _plain(asyncio.run(run_converted()))
        assert actual == expected
        assert _tables(converted_url) == _tables(legacy_url)
    # The scenario is not vacuous: rows were written, one transaction was rolled back, one list was empty.
    assert "raised rolled back on purpose" in expected and [] in expected and expected[-2:] == [True, False]
