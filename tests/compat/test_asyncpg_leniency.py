"""What psycopg2 accepted keeps working on asyncpg once sqlasync.compat is imported: SQL scripts, aware datetimes."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from sqlalchemy import DDL, Column, DateTime, Integer, MetaData, Table, event, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from sqlasync.compat import naive_timestamp_positions, script_statements, to_async_url

FUNCTION_SCRIPT = """
CREATE FUNCTION answer() RETURNS int AS $$
BEGIN
    RETURN 42; -- a semicolon inside the body
END;
$$ LANGUAGE plpgsql;
CREATE TABLE notes (body text DEFAULT 'a;b');
INSERT INTO notes VALUES (DEFAULT);
"""


def test_a_script_is_split_where_postgresql_would_split_it() -> None:
    assert script_statements("SELECT 1") == ()
    assert script_statements("SELECT ';' AS x;") == ()  # one statement, a trailing semicolon
    assert script_statements("SELECT 'unterminated; ") == ()  # not lexable: left to the server
    statements = script_statements(FUNCTION_SCRIPT)
    assert [s.split()[0:2] for s in statements] == [["CREATE", "FUNCTION"], ["CREATE", "TABLE"], ["INSERT", "INTO"]]


@pytest.mark.postgres
def test_a_script_runs_on_asyncpg_in_the_callers_transaction(postgres_url: str) -> None:
    async def scenario() -> None:
        engine = create_async_engine(to_async_url(postgres_url))
        try:
            async with engine.connect() as connection:
                transaction = await connection.begin()
                result = await connection.execute(text(FUNCTION_SCRIPT + "SELECT body FROM notes;"))
                assert result.scalar_one() == "a;b"  # the last statement's rows, as psycopg2 returned them
                assert (await connection.execute(text("SELECT answer()"))).scalar_one() == 42
                await transaction.rollback()
            async with engine.connect() as connection:
                exists = await connection.execute(text("SELECT to_regclass('notes') IS NOT NULL"))
                assert exists.scalar_one() is False  # rolled back with the caller's transaction
        finally:
            await engine.dispose()

    asyncio.run(scenario())


@pytest.mark.postgres
def test_a_ddl_listener_with_several_statements_runs_in_create_all(postgres_url: str) -> None:
    metadata = MetaData()
    table = Table("documents", metadata, Column("id", Integer, primary_key=True))
    event.listen(table, "after_create", DDL(
        "CREATE FUNCTION documents_count() RETURNS bigint AS $$ SELECT count(*) FROM documents; $$ LANGUAGE sql; "
        "COMMENT ON TABLE documents IS 'made; by a listener'"))

    async def scenario() -> None:
        engine = create_async_engine(to_async_url(postgres_url))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
                assert (await connection.execute(text("SELECT documents_count()"))).scalar_one() == 0
                comment = await connection.execute(text("SELECT obj_description('documents'::regclass)"))
                assert comment.scalar_one() == "made; by a listener"
        finally:
            await engine.dispose()

    asyncio.run(scenario())


@pytest.mark.postgres
def test_statements_with_parameters_take_sqlalchemys_own_path(postgres_url: str) -> None:
    """A parameterised statement is never split: asyncpg reports several statements as it always did."""
    async def scenario() -> None:
        engine = create_async_engine(to_async_url(postgres_url))
        try:
            async with engine.connect() as connection:
                assert (await connection.execute(text("SELECT CAST(:x AS int)"), {"x": 1})).scalar_one() == 1
                with pytest.raises(DBAPIError, match="multiple commands"):
                    await connection.execute(text("SELECT CAST(:x AS int); SELECT 2"), {"x": 1})
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_the_parameters_cast_to_timestamp_without_time_zone_are_found() -> None:
    sql = ("INSERT INTO t (a, made, at) VALUES ($1::VARCHAR, $2::TIMESTAMP WITHOUT TIME ZONE, "
           "$3::TIMESTAMP WITH TIME ZONE), ($4::VARCHAR, $5::TIMESTAMP(3) WITHOUT TIME ZONE, $6)")
    assert naive_timestamp_positions(sql) == (1, 4)
    assert naive_timestamp_positions("SELECT $1::INTEGER") == ()


@pytest.mark.postgres
def test_an_aware_datetime_keeps_its_wall_clock_time_in_a_timestamp_column(postgres_url: str) -> None:
    """psycopg2 sent the offset and PostgreSQL ignored it for `timestamp without time zone`; asyncpg refused the
    value. Single rows, several rows (executemany) and an untouched `timestamp with time zone` column."""
    metadata = MetaData()
    events = Table("events", metadata, Column("id", Integer, primary_key=True), Column("made", DateTime()),
                   Column("at", DateTime(timezone=True)))
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    aware = datetime.datetime(2026, 12, 7, 8, 16, 10, tzinfo=tokyo)

    async def scenario() -> None:
        engine = create_async_engine(to_async_url(postgres_url))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
                await connection.execute(insert(events).values(id=1, made=aware, at=aware))
                await connection.execute(insert(events), [{"id": 2, "made": aware, "at": aware},
                                                          {"id": 3, "made": aware.replace(tzinfo=None), "at": aware}])
                rows = (await connection.execute(select(events.c.made, events.c.at).order_by(events.c.id))).all()
            assert [made for made, _ in rows] == [datetime.datetime(2026, 12, 7, 8, 16, 10)] * 3
            assert all(at == aware for _, at in rows)  # the same instant, whatever zone it reads back in
        finally:
            await engine.dispose()

    asyncio.run(scenario())
