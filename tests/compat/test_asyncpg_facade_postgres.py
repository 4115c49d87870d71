"""On PostgreSQL the facade hands out real asyncpg connections from the SQLAlchemy pool: same answers as asyncpg."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from sqlasync.compat import Database, FacadeInterfaceError, LegacyAsyncpgPool

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")]

SCHEMA = """
CREATE TABLE samples (
    id integer PRIMARY KEY,
    n_big bigint, n_num numeric(14, 4), n_float double precision, t text, b boolean,
    ts timestamp, tstz timestamptz, d date, iv interval,
    arr integer[], tarr text[], js json, jsb jsonb, u uuid, raw bytea
);
INSERT INTO samples VALUES
 (1, 9007199254740993, 12345.6789, 0.1, 'naïve ''quoted''', true,
  '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.5+05:30', '2024-02-29', '1 day 02:03:04',
  '{1,NULL,3}', '{"a b",NULL,"c,d"}', '{"k": [1, 2.5, null], "s": "x"}', '{"z": 1, "a": {"b": true}}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, -1, -0.0001, 'NaN', '', false, '1999-12-31 00:00', '1970-01-01 00:00Z', '0001-01-01', '-1 mon',
  '{}', '{}', '[]', 'null', '00000000-0000-0000-0000-000000000000', '\\x');
"""

QUERIES: list[tuple[str, tuple[Any, ...]]] = [
    ("SELECT * FROM samples ORDER BY id", ()),
    ("SELECT * FROM samples WHERE id = $1", (1,)),
    ("SELECT js, jsb, js->'k' AS k, jsb->>'z' AS z FROM samples ORDER BY id", ()),
    ("SELECT arr, tarr, arr[1] AS first FROM samples WHERE id = ANY($1::int[]) ORDER BY id", ([1, 3],)),
    ("SELECT $1::numeric * 2 AS doubled, $2::float8 AS f, $3::bigint AS big", (decimal.Decimal("1.05"), 1.5, 2**62)),
    ("SELECT $1::timestamptz AS at, $2::date AS day, $3::interval AS span",
     (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), dt.date(2024, 1, 2), dt.timedelta(hours=5))),
    ("SELECT $1::jsonb AS doc, $2::json AS plain", (json.dumps({"a": [1, None]}), '{"keep":  "spacing"}')),
    ("SELECT $1::uuid AS u, $2::bytea AS raw, $3::text[] AS names",
     (uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), b"\x00\x01", ["x", None])),
    ("SELECT NULL AS nothing, NULL::int AS typed_nothing", ()),
    ("SELECT id FROM samples WHERE t = $1 OR $1 IS NULL ORDER BY id", (None,)),
]


async def reference_connection(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


def same(left: Any, right: Any) -> bool:
    """Equal values of the same types, with NaN equal to itself."""
    if isinstance(left, float) and isinstance(right, float) and left != left:
        return right != right
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return type(left) is type(right) and len(left) == len(right) and all(map(same, left, right))
    return type(left) is type(right) and left == right


def assert_same_records(expected: list[asyncpg.Record], actual: list[Any]) -> None:
    assert len(expected) == len(actual)
    for want, got in zip(expected, actual):
        assert type(got) is type(want) is asyncpg.Record
        assert list(got.keys()) == list(want.keys())
        for key in want.keys():
            assert same(want[key], got[key]), (key, want[key], got[key])


@pytest.fixture
def pg(postgres_url: str, loop: asyncio.AbstractEventLoop) -> Any:
    # pool_size=1: the facade and SQLAlchemy must take turns on the very same physical connection.
    database = Database(postgres_url, pool_size=1, max_overflow=0)

    async def setup() -> asyncpg.Connection:
        reference = await reference_connection(postgres_url)
        await reference.execute(SCHEMA)
        return reference

    reference = loop.run_until_complete(setup())
    try:
        yield database, database.asyncpg_pool(), reference
    finally:
        loop.run_until_complete(reference.close())
        loop.run_until_complete(database.dispose())


def run(loop: asyncio.AbstractEventLoop, scenario: Callable[[], Awaitable[Any]]) -> Any:
    return loop.run_until_complete(scenario())


def test_fetch_fetchrow_fetchval_match_asyncpg(pg: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool, reference = pg

    async def scenario() -> None:
        # Let SQLAlchemy use (and install its JSON codecs on) the one pooled connection first.
        async with database.sessionmaker() as session:
            assert (await session.execute(text("SELECT jsb FROM samples WHERE id = 1"))).scalar() == {
                "z": 1, "a": {"b": True}}
        async with pool.acquire() as connection:
            for query, args in QUERIES:
                assert_same_records(await reference.fetch(query, *args), await connection.fetch(query, *args))
                assert_same_records([await reference.fetchrow(query, *args)], [await connection.fetchrow(query, *args)])
                assert same(await reference.fetchval(query, *args), await connection.fetchval(query, *args))
        assert database.engine.pool.checkedout() == 0

    run(loop, scenario)


def test_records_behave_like_asyncpg_records(pg: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool, _ = pg

    async def scenario() -> None:
        row = await pool.fetchrow("SELECT 1 AS a, 'x' AS b, NULL AS c")
        assert (row[0], row["b"], row.get("c", "default"), row.get("missing", "default")) == (1, "x", None, "default")
        assert dict(row) == {"a": 1, "b": "x", "c": None} and tuple(row) == (1, "x", None)
        assert await pool.fetchval("SELECT 2, 3", column=1) == 3

    run(loop, scenario)


def test_status_strings_match_asyncpg(pg: Any, loop: asyncio.AbstractEventLoop) -> None:
    _, pool, reference = pg
    statements = [
        ("CREATE TABLE {t} (id int PRIMARY KEY, v text)", ()),
        ("INSERT INTO {t} VALUES ($1, $2)", (1, "a")),
        ("INSERT INTO {t} SELECT g, 'x' FROM generate_series(2, 4) g", ()),
        ("UPDATE {t} SET v = $1 WHERE id > $2", ("y", 1)),
        ("SELECT * FROM {t}", ()),
        ("DELETE FROM {t} WHERE id >= 3", ()),
        ("INSERT INTO {t} VALUES (9, 'z') RETURNING id", ()),
        ("CREATE INDEX ON {t} (v)", ()),
        ("TRUNCATE {t}", ()),
        ("BEGIN; INSERT INTO {t} VALUES (10, 'q'); COMMIT", ()),
        ("DROP TABLE {t}", ()),
    ]

    async def scenario() -> None:
        async with pool.acquire() as connection:
            for statement, args in statements:
                want = await reference.execute(statement.format(t="by_asyncpg"), *args)
                got = await connection.execute(statement.format(t="by_facade"), *args)
                assert got == want, statement
            await connection.execute("CREATE TEMP TABLE m (v int)")
            await reference.execute("CREATE TEMP TABLE m (v int)")
            rows = [(1,), (2,)]
            assert await connection.executemany("INSERT INTO m VALUES ($1)", rows) is None
            assert await reference.executemany("INSERT INTO m VALUES ($1)", rows) is None

    run(loop, scenario)


def test_transactions_commit_roll_back_and_nest_like_asyncpg(pg: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool, _ = pg

    async def scenario() -> None:
        await pool.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
        async with pool.acquire() as connection:
            async with connection.transaction():
                await connection.executemany("INSERT INTO ledger VALUES ($1)", [(1,), (2,)])
                assert connection.is_in_transaction()
                with pytest.raises(asyncpg.UniqueViolationError):
                    async with connection.transaction():  # a savepoint
                        await connection.execute("INSERT INTO ledger VALUES (3)")
                        await connection.execute("INSERT INTO ledger VALUES (1)")
            with pytest.raises(ZeroDivisionError):
                async with connection.transaction(isolation="serializable"):
                    await connection.execute("INSERT INTO ledger VALUES (4)")
                    raise ZeroDivisionError
            manual = connection.transaction()
            await manual.start()
            await connection.execute("INSERT INTO ledger VALUES (5)")
            await manual.rollback()
            with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
                async with connection.transaction(readonly=True):
                    await connection.execute("INSERT INTO ledger VALUES (6)")
        assert [r["id"] for r in await pool.fetch("SELECT id FROM ledger ORDER BY id")] == [1, 2]
        assert database.engine.pool.checkedout() == 0

    run(loop, scenario)


def test_sqlalchemy_gets_its_codecs_back_after_the_facade(pg: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool, _ = pg

    async def scenario() -> None:
        for _ in range(3):  # alternate several times on the single pooled connection
            assert await pool.fetchval("SELECT jsb FROM samples WHERE id = 1") == '{"a": {"b": true}, "z": 1}'
            async with database.sessionmaker() as session:
                assert (await session.execute(text("SELECT js FROM samples WHERE id = 1"))).scalar() == {
                    "k": [1, 2.5, None], "s": "x"}

    run(loop, scenario)


def test_session_state_does_not_leak_from_legacy_code_into_sqlalchemy(
    pg: Any, loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    database, pool, _ = pg

    async def scenario() -> None:
        await pool.execute("CREATE TABLE notes (v text)")
        async with pool.acquire() as connection:
            await connection.execute("SET application_name TO 'legacy-service'")
            await connection.execute("SELECT pg_advisory_lock(42)")
            await connection.execute("BEGIN")  # left open on purpose
            await connection.execute("INSERT INTO notes VALUES ('uncommitted')")
        async with database.engine.connect() as connection:
            settings = await connection.exec_driver_sql(
                "SELECT current_setting('application_name'), "
                "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'), (SELECT count(*) FROM notes)"
            )
            assert tuple(settings.one()) == ("", 0, 0)

    run(loop, scenario)


def test_connection_is_unusable_after_release_and_errors_are_asyncpgs(pg: Any, loop: asyncio.AbstractEventLoop) -> None:
    database, pool, _ = pg

    async def scenario() -> None:
        connection = await pool.acquire()
        with pytest.raises(asyncpg.UndefinedTableError):
            await connection.fetch("SELECT * FROM no_such_table")
        assert await connection.fetchval("SELECT 1") == 1  # asyncpg connections survive statement errors
        assert isinstance(connection.get_server_version().major, int)  # passthrough of the asyncpg API
        await pool.release(connection, timeout=5)
        with pytest.raises(asyncpg.InterfaceError, match="released back to the pool"):
            await connection.fetchval("SELECT 1")
        assert database.engine.pool.checkedout() == 0

    run(loop, scenario)


def test_facade_connections_come_from_the_engines_pool(postgres_url: str, loop: asyncio.AbstractEventLoop) -> None:
    database = Database(postgres_url, pool_size=2, max_overflow=0, pool_timeout=0.5)
    pool: LegacyAsyncpgPool = database.asyncpg_pool()
    assert database.asyncpg_pool() is pool

    async def scenario() -> None:
        first = await pool.acquire()
        async with database.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            assert database.engine.pool.checkedout() == 2  # facade and ORM share the two slots
            with pytest.raises(asyncio.TimeoutError):
                await pool.acquire(timeout=0.2)
        closing = asyncio.ensure_future(pool.close())
        await asyncio.sleep(0.05)
        assert pool.is_closing() and not closing.done()  # waits for the connection still held
        with pytest.raises(FacadeInterfaceError, match="pool is closing"):
            await pool.acquire()
        await pool.release(first)
        await asyncio.wait_for(closing, 5)
        assert database.engine.pool.checkedout() == 0

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.run_until_complete(database.dispose())
