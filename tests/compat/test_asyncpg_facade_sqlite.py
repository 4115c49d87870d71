"""Legacy asyncpg services run on SQLite through the emulated facade ($n translated by the lexer)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from sqlasync.compat import Database, FacadeInterfaceError, Record

pytestmark = pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")


@pytest.fixture
def facade(sqlite_url: str, loop: asyncio.AbstractEventLoop) -> Any:
    database = Database(sqlite_url, pool_size=2, max_overflow=0)
    pool = database.asyncpg_pool()
    loop.run_until_complete(
        pool.execute("CREATE TABLE jobs (id integer PRIMARY KEY, job_id text UNIQUE, status text, note text)")
    )
    try:
        yield database, pool
    finally:
        loop.run_until_complete(database.dispose())


def test_positional_parameters_become_binds_but_literals_stay(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool = facade

    async def scenario() -> None:
        async with pool.acquire() as connection:
            status = await connection.execute(
                "INSERT INTO jobs (id, job_id, status, note) VALUES ($1::int, $2, $3, 'costs $1 -- or :p1 or 100%')",
                1, "j1", "queued",
            )
            assert status == "INSERT 0 1"
            row = await connection.fetchrow(
                'SELECT id, "job_id", note /* $9 */ FROM jobs WHERE job_id = $1 OR status = $1 -- $2\n', "j1"
            )
            assert isinstance(row, Record)
            assert (row["id"], row[1], row["note"]) == (1, "j1", "costs $1 -- or :p1 or 100%")
            assert await connection.fetchval("SELECT count(*) FROM jobs WHERE id = $1 AND id = $1", 1) == 1

    loop.run_until_complete(scenario())


def test_fetch_results_and_records(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool = facade

    async def scenario() -> None:
        await pool.executemany(
            "INSERT INTO jobs (id, job_id, status) VALUES ($1, $2, $3)",
            [(1, "a", "queued"), (2, "b", None), (3, "c", "done")],
        )
        rows = await pool.fetch("SELECT id, status FROM jobs ORDER BY id")
        assert [tuple(row) for row in rows] == [(1, "queued"), (2, None), (3, "done")]
        assert rows[1]["status"] is None and rows[1].get("status", "x") is None
        assert list(rows[0].keys()) == ["id", "status"] and dict(rows[2]) == {"id": 3, "status": "done"}
        assert list(rows[0].items()) == [("id", 1), ("status", "queued")] and list(rows[0].values()) == [1, "queued"]
        assert "status" in rows[0] and rows[0] == (1, "queued") and rows[0][0:1] == (1,) and len(rows[0]) == 2
        assert hash(rows[0]) == hash((1, "queued")) and repr(rows[0]) == "<Record id=1 status='queued'>"
        with pytest.raises(KeyError):
            rows[0]["missing"]
        assert await pool.fetchrow("SELECT * FROM jobs WHERE id = $1", 99) is None
        assert await pool.fetchval("SELECT id FROM jobs WHERE id = $1", 99) is None
        assert await pool.fetchval("SELECT id, job_id FROM jobs WHERE id = $1", 2, column=1) == "b"
        assert await pool.fetch("SELECT * FROM jobs WHERE id > $1", 10) == []
        duplicate = await pool.fetchrow("SELECT 1 AS a, 2 AS a")
        assert list(duplicate.keys()) == ["a", "a"] and duplicate["a"] == 1

    loop.run_until_complete(scenario())


@pytest.mark.parametrize(
    ("statement", "args", "status"),
    [
        ("INSERT INTO jobs (id, job_id) VALUES (10, 'x'), (11, 'y')", (), "INSERT 0 2"),
        ("UPDATE jobs SET status = $1", ("s",), "UPDATE 3"),
        ("DELETE FROM jobs WHERE id > $1", (1,), "DELETE 2"),
        ("SELECT * FROM jobs", (), "SELECT 3"),
        ("WITH old AS (SELECT id FROM jobs) DELETE FROM jobs WHERE id IN (SELECT id FROM old)", (), "DELETE 3"),
        ("INSERT INTO jobs (id, job_id) VALUES ($1, 'r') RETURNING id, job_id", (20,), "INSERT 0 1"),
        ("VALUES (1), (2)", (), "SELECT 2"),
        ("CREATE TABLE IF NOT EXISTS other (v int)", (), "CREATE TABLE"),
        ("CREATE UNIQUE INDEX ix_status ON jobs (status, id)", (), "CREATE INDEX"),
        ("CREATE TEMP VIEW v AS SELECT 1", (), "CREATE VIEW"),
        ("ALTER TABLE jobs ADD COLUMN extra text", (), "ALTER TABLE"),
        ("DROP TABLE IF EXISTS nothing_here", (), "DROP TABLE"),
        ("CREATE TABLE a (v int); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2); DROP TABLE a", (), "DROP TABLE"),
        ("-- only a comment", (), ""),
    ],
)
def test_status_strings_follow_asyncpg(
    facade: Any, loop: asyncio.AbstractEventLoop, statement: str, args: tuple[Any, ...], status: str
) -> None:
    _, pool = facade

    async def scenario() -> str:
        await pool.executemany("INSERT INTO jobs (id, job_id) VALUES ($1, $2)", [(1, "a"), (2, "b"), (3, "c")])
        return await pool.execute(statement, *args)

    assert loop.run_until_complete(scenario()) == status


def test_statements_outside_a_transaction_autocommit(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool = facade

    async def scenario() -> None:
        async with pool.acquire() as connection:
            await connection.execute("INSERT INTO jobs (id, job_id) VALUES ($1, $2)", 1, "a")
            assert not connection.is_in_transaction()
            async with database.engine.connect() as other:  # a different pooled connection sees it at once
                assert (await other.execute(text("SELECT count(*) FROM jobs"))).scalar() == 1

    loop.run_until_complete(scenario())


def test_transactions_commit_roll_back_and_nest(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool = facade

    async def scenario() -> None:
        async with pool.acquire() as connection:
            async with connection.transaction():
                await connection.execute("INSERT INTO jobs (id, job_id) VALUES (1, 'kept')")
                assert connection.is_in_transaction()
                with pytest.raises(IntegrityError):
                    async with connection.transaction():  # savepoint
                        await connection.execute("INSERT INTO jobs (id, job_id) VALUES (2, 'savepoint')")
                        await connection.execute("INSERT INTO jobs (id, job_id) VALUES (3, 'kept')")
                nested = connection.transaction()
                await nested.start()
                await connection.execute("INSERT INTO jobs (id, job_id) VALUES (4, 'nested-commit')")
                await nested.commit()
            with pytest.raises(RuntimeError):
                async with connection.transaction():
                    await connection.execute("INSERT INTO jobs (id, job_id) VALUES (5, 'rolled-back')")
                    raise RuntimeError("abort")
            manual = connection.transaction()
            await manual.start()
            await connection.execute("INSERT INTO jobs (id, job_id) VALUES (6, 'manual')")
            await manual.rollback()
            assert not connection.is_in_transaction()
            with pytest.raises(FacadeInterfaceError, match="rolled back"):
                await manual.commit()
            with pytest.raises(FacadeInterfaceError, match="already rolled back"):
                await manual.start()
        ids = [row["job_id"] for row in await pool.fetch("SELECT job_id FROM jobs ORDER BY id")]
        assert ids == ["kept", "nested-commit"]
        assert database.engine.pool.checkedout() == 0

    loop.run_until_complete(scenario())


def test_outer_transaction_cannot_finish_before_the_nested_one(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool = facade

    async def scenario() -> None:
        async with pool.acquire() as connection:
            outer = connection.transaction()
            await outer.start()
            inner = connection.transaction()
            await inner.start()
            with pytest.raises(FacadeInterfaceError, match="nested transaction is still open"):
                await outer.commit()
            await inner.rollback()
            await outer.rollback()

    loop.run_until_complete(scenario())


def test_open_transaction_is_rolled_back_on_release(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool = facade

    async def scenario() -> None:
        connection = await pool.acquire()
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("INSERT INTO jobs (id, job_id) VALUES (1, 'never')")
        await pool.release(connection)
        assert await pool.fetchval("SELECT count(*) FROM jobs") == 0
        assert database.engine.pool.checkedout() == 0

    loop.run_until_complete(scenario())


def test_misuse_is_reported_like_asyncpg(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool = facade

    async def scenario() -> None:
        connection = await pool.acquire()
        with pytest.raises(FacadeInterfaceError, match="expects 2 arguments for this query, 1 was passed"):
            await connection.fetch("SELECT $1, $2", 1)
        with pytest.raises(FacadeInterfaceError, match="expects 0 arguments"):
            await connection.execute("SELECT 1", 5)
        with pytest.raises(FacadeInterfaceError, match="PostgreSQL with asyncpg"):
            connection.transaction(isolation="serializable")
        await pool.release(connection)
        with pytest.raises(FacadeInterfaceError, match="released back to the pool"):
            await connection.fetch("SELECT 1")
        with pytest.raises(FacadeInterfaceError, match="already released"):
            await pool.release(connection)
        assert "released" in repr(connection)

    loop.run_until_complete(scenario())


def test_timeouts_are_applied(facade: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool = facade
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000000) SELECT count(*) FROM n"

    async def scenario() -> None:
        async with pool.acquire() as connection:
            with pytest.raises(asyncio.TimeoutError):
                await connection.fetchval(slow, timeout=0.01)
        assert await pool.fetchval("SELECT 1", timeout=5) == 1

    loop.run_until_complete(scenario())
