"""What the R plan decides: reasons for what is left, where sessions come from, selection, imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sqlasync.analysis import analyse, migrate
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

HEADER = "import asyncpg\nfrom app.db import SessionLocal\n\n\n"


def _findings(source: str, config: Config | None = None, target: str = "async"):
    config = config or Config(root=Path.cwd())
    return [f for f in analyse(source.encode(), "example.py", config, FAMILIES, target).findings
            if f.code.startswith("R")]


def _migrated(source: str, selection: Selection = Selection(), config: Config | None = None) -> str:
    config = config or Config(root=Path.cwd())
    result = migrate(source.encode(), "example.py", config, FAMILIES, selection, "async")
    return (result.updated or source.encode()).decode()


@pytest.mark.parametrize(("body", "reason"), [
    ("async def f(conn: asyncpg.Connection, i):\n    return await conn.fetchval('SELECT $1::int', i)\n",
     "handed in by the caller"),
    ("async def f(pool: asyncpg.Pool, i):\n    return await g(pool.fetchval('SELECT $1::int', i))\n",
     "not awaited"),
    ("async def f(pool: asyncpg.Pool, i):\n    return await pool.fetchval('SELECT $1::int', i, timeout=2)\n",
     "`timeout=`"),
    ("async def f(pool: asyncpg.Pool, i):\n    while await pool.fetchval('SELECT $1::int', i):\n        i -= 1\n",
     "header of a compound statement"),
    ("async def f(pool: asyncpg.Pool, i):\n    return await pool.execute('DELETE FROM t WHERE id = $1', i)\n",
     "status string"),
    ("async def f(pool: asyncpg.Pool, i):\n    s = await pool.execute('DELETE FROM t WHERE id = $1', i)\n"
     "    return s.startswith('DELETE')\n", "status string"),
    ("async def f(pool: asyncpg.Pool, i):\n    r = await pool.fetchrow('SELECT a, b FROM t WHERE id = $1', i)\n"
     "    a, b = r\n    return a, r['b']\n", "both by position"),
    ("async def f(pool: asyncpg.Pool):\n    await pool.execute('CREATE TABLE a (i int); CREATE TABLE b (i int)')\n",
     "several statements"),
    ("async def f(pool: asyncpg.Pool, i, j):\n    return await pool.fetchval('SELECT $1::int', i, j)\n",
     "highest parameter is $1"),
    ("async def f(pool: asyncpg.Pool, sql):\n    return await pool.fetch(sql)\n", "not a literal or a constant"),
    ("async def f(pool: asyncpg.Pool, t):\n    return await pool.fetch('SELECT * FROM ' + t + ' WHERE x = 1')\n",
     "(X101)"),
    ("async def f(pool: asyncpg.Pool, t):\n    return await pool.fetch('SELECT * FROM {} WHERE x = 1'.format(t))\n",
     "(X101)"),
    ("async def f(pool: asyncpg.Pool, i):\n    conn = await pool.acquire()\n"
     "    return await conn.fetchval('SELECT $1::int', i)\n", "released by hand"),
    ("async def f(pool: asyncpg.Pool, i):\n    async with pool.acquire() as conn:\n"
     "        await conn.execute('DELETE FROM t WHERE id = $1', i)\n        return conn.get_server_pid()\n",
     "`conn.get_server_pid`"),
    ("async def f(pool: asyncpg.Pool, i):\n    async with pool.acquire() as conn:\n"
     "        async with conn.transaction(readonly=True):\n"
     "            return await conn.fetchval('SELECT $1::int', i)\n", "options need connection execution options"),
    ("def f(pool: asyncpg.Pool):\n    return pool.fetch('SELECT 1 FROM t WHERE x = $1')\n", "is not async"),
    ("async def f(pool: asyncpg.Pool, i):\n    r = await pool.fetchrow('SELECT a FROM t WHERE id = $1', i)\n"
     "    return r[i]\n", "computed key"),
])
def test_each_site_that_is_left_says_why(body, reason):
    findings = _findings(HEADER + body)
    assert findings, "the example must hold an asyncpg site"
    assert all(not f.fixable for f in findings)
    assert any(reason in f.reason for f in findings), [f.reason for f in findings]
    assert _migrated(HEADER + body) == HEADER + body


def test_the_other_sites_of_a_left_function_name_the_blocking_one():
    source = HEADER + textwrap.dedent("""\
        async def f(pool: asyncpg.Pool, t):
            total = await pool.fetchval("SELECT count(*) FROM items")
            rows = await pool.fetch(f"SELECT * FROM items ORDER BY {t}")
            return total, rows
    """)
    first, second = _findings(source)
    assert "left as asyncpg with the rest of `f`" in first.reason and "X101" in first.reason
    assert "never half converted" in first.reason
    assert second.reason.startswith("the SQL is built with an f-string")


def test_without_a_session_factory_nothing_converts_and_the_reason_names_the_setting():
    source = "import asyncpg\n\n\nasync def f(pool: asyncpg.Pool):\n    return await pool.fetchval('SELECT 1')\n"
    (finding,) = _findings(source)
    assert not finding.fixable and "session-factory" in finding.reason


def test_a_sync_sessionmaker_defined_in_the_file_is_not_used():
    source = ("import asyncpg\nfrom sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\n\n"
              "async def f(pool: asyncpg.Pool):\n    return await pool.fetchval('SELECT 1')\n")
    findings = _findings(source, target="async")
    assert any("sync sessionmaker" in (f.reason or "") for f in findings)


def test_the_configured_session_factory_is_imported():
    source = "import asyncpg\n\n\nasync def f(pool: asyncpg.Pool):\n    return await pool.fetchval('SELECT 1')\n"
    config = Config(root=Path.cwd(), session_factory="app.data.sessions:AsyncSessionLocal")
    migrated = _migrated(source, config=config)
    assert "from app.data.sessions import AsyncSessionLocal" in migrated
    assert "async with AsyncSessionLocal.begin() as db:" in migrated


def test_the_session_takes_a_free_name_and_nested_scopes_get_their_own():
    source = HEADER + textwrap.dedent("""\
        async def f(pool: asyncpg.Pool, db, i):
            async with pool.acquire() as conn:
                async with conn.transaction():
                    await conn.execute("DELETE FROM t WHERE id = $1", i)
                    n = await pool.fetchval("SELECT count(*) FROM t")
            return db, n
    """)
    migrated = _migrated(source)
    assert "async with SessionLocal() as session:" in migrated
    assert "async with SessionLocal.begin() as db_session:" in migrated
    assert "await session.execute(" in migrated and "(await db_session.execute(" in migrated


def test_selecting_any_site_of_a_function_converts_the_whole_function():
    source = HEADER + textwrap.dedent("""\
        async def f(pool: asyncpg.Pool, i):
            async with pool.acquire() as conn:
                return await conn.fetchval("SELECT v FROM t WHERE id = $1", i)


        async def g(pool: asyncpg.Pool, i):
            return await pool.fetchval("SELECT v FROM t WHERE id = $1", i)
    """)
    migrated = _migrated(source, Selection(select=("R102",)))
    assert "conn" not in migrated.split("async def g")[0]
    assert "await pool.fetchval" in migrated.split("async def g")[1]


def test_functions_sharing_a_changing_helper_are_converted_together_or_not_at_all():
    source = "import json\n\n" + HEADER + textwrap.dedent("""\
        def _item(row):
            return {"id": row["id"], "meta": json.loads(row["meta"])}


        async def f(pool: asyncpg.Pool, i):
            async with pool.acquire() as conn:
                return _item(await conn.fetchrow("SELECT id, meta FROM t WHERE id = $1", i))


        async def g(pool: asyncpg.Pool, i):
            return _item(await pool.fetchrow("SELECT id, meta FROM t WHERE id = $1", i))
    """)
    assert _migrated(source, Selection(select=("R102",))) == source
    converted = _migrated(source)
    assert "json" not in converted
    assert '"meta": row["meta"]' in converted


def test_json_stays_imported_while_something_else_uses_it():
    source = "import json\n\n" + HEADER + textwrap.dedent("""\
        async def f(pool: asyncpg.Pool, i):
            raw = await pool.fetchval("SELECT settings FROM t WHERE id = $1", i)
            return json.dumps(json.loads(raw))
    """)
    migrated = _migrated(source)
    assert migrated.startswith("import json\n")
    assert "return json.dumps(raw)" in migrated


def test_a_second_migrate_changes_nothing_and_leaves_no_fixable_site():
    source = HEADER + textwrap.dedent("""\
        async def f(pool: asyncpg.Pool, ids):
            async with pool.acquire() as conn:
                async with conn.transaction():
                    await conn.executemany("INSERT INTO t (id) VALUES ($1)", [(i,) for i in ids])
                return await conn.fetch("SELECT id FROM t WHERE id = ANY($1)", ids)
    """)
    once = _migrated(source)
    assert once != source
    assert _migrated(once) == once
    assert _findings(once) == []
