"""Translation of asyncpg SQL for other drivers, and PostgreSQL command tags, as pure functions."""

from __future__ import annotations

import pytest

from sqlasync.compat.asyncpg_statements import (
    FacadeInterfaceError,
    Paramstyle,
    command_tag,
    paramstyle_for,
    prepare_statement,
    status_string,
)
from sqlasync.compat.sql_lexer import tokenize


def test_named_style_for_sqlite_and_pyformat_elsewhere() -> None:
    assert paramstyle_for("sqlite") is Paramstyle.NAMED
    assert paramstyle_for("mysql") is Paramstyle.PYFORMAT


def test_named_rendering_drops_parameter_casts_and_reuses_names() -> None:
    statement = prepare_statement("SELECT * FROM t WHERE a = $1::int AND b = $2 OR a = $1 AND c::text = '5%'", Paramstyle.NAMED)
    assert statement.sql == "SELECT * FROM t WHERE a = :p1 AND b = :p2 OR a = :p1 AND c::text = '5%'"
    assert statement.bind((7, "x")) == {"p1": 7, "p2": "x"}


def test_pyformat_rendering_doubles_every_other_percent() -> None:
    statement = prepare_statement("SELECT '100%' AS pct, $1 /* 5% */ WHERE name LIKE 'a%' || $2", Paramstyle.PYFORMAT)
    assert statement.sql == "SELECT '100%%' AS pct, %(p1)s /* 5%% */ WHERE name LIKE 'a%%' || %(p2)s"
    # Without parameters the driver does no %-formatting, so nothing is doubled.
    assert prepare_statement("SELECT '100%'", Paramstyle.PYFORMAT).sql == "SELECT '100%'"


def test_argument_count_is_the_highest_parameter_number() -> None:
    statement = prepare_statement("SELECT $3, $1", Paramstyle.NAMED)
    assert statement.argument_count == 3
    assert statement.bind((1, 2, 3)) == {"p1": 1, "p3": 3}
    with pytest.raises(FacadeInterfaceError, match="expects 3 arguments for this query, 2 were passed"):
        statement.bind((1, 2))
    with pytest.raises(FacadeInterfaceError, match="expects 1 argument for this query, 0 were passed"):
        prepare_statement("SELECT $1", Paramstyle.NAMED).bind(())


@pytest.mark.parametrize(
    ("sql", "tag"),
    [
        ("select 1", "SELECT"),
        ("  -- leading comment\n insert into t values (1)", "INSERT"),
        ("WITH RECURSIVE x AS (SELECT 1) UPDATE t SET a = 1", "UPDATE"),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "SELECT"),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE VIEW"),
        ("CREATE MATERIALIZED VIEW mv AS SELECT 1", "CREATE MATERIALIZED VIEW"),
        ("create unlogged table if not exists t (a int)", "CREATE TABLE"),
        ("DROP INDEX IF EXISTS ix", "DROP INDEX"),
        ("TRUNCATE t", "TRUNCATE TABLE"),
        ("VALUES (1)", "SELECT"),
        ("END", "COMMIT"),
        ("BEGIN", "BEGIN"),
        ("", ""),
    ],
)
def test_command_tags(sql: str, tag: str) -> None:
    assert command_tag(tokenize(sql)) == tag


@pytest.mark.parametrize(
    ("tag", "rows", "status"),
    [("INSERT", 2, "INSERT 0 2"), ("UPDATE", 0, "UPDATE 0"), ("SELECT", 5, "SELECT 5"), ("CREATE TABLE", 0, "CREATE TABLE")],
)
def test_status_strings(tag: str, rows: int, status: str) -> None:
    assert status_string(tag, rows) == status
