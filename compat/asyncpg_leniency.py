"""What psycopg2 let legacy code do that asyncpg refuses, kept working once the engine is ``postgresql+asyncpg``.

* **SQL scripts.** psycopg2 sends a statement without parameters as one simple query, so legacy code runs whole
  scripts in a single call: ``conn.execute(text(open("functions.sql").read()))``, a ``DDL("CREATE FUNCTION ...;
  CREATE TRIGGER ...")`` listener of ``create_all``. asyncpg prepares every statement, and PostgreSQL refuses to
  prepare several at once ("cannot insert multiple commands into a prepared statement"). Such a statement runs
  statement by statement on the same cursor, in the same transaction and in order, leaving the cursor on the
  last one's result, as psycopg2 returned it.
* **Aware datetimes for ``timestamp without time zone``.** psycopg2 sends ``datetime.now(timezone.utc)`` as a
  literal with its offset, and PostgreSQL reads a ``timestamp without time zone`` literal ignoring the zone: the
  wall-clock time is stored. asyncpg refuses the value ("can't subtract offset-naive and offset-aware
  datetimes"). The zone is dropped from such a parameter, keeping the wall-clock time, as PostgreSQL did.

Importing :mod:`sqlasync.compat` registers one dialect-level listener on every engine that does this for
asyncpg only; every statement asyncpg accepts as it is takes SQLAlchemy's own path untouched.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .sql_lexer import SQLLexError, split_statements

__all__ = ["naive_timestamp_positions", "script_statements"]

# SQLAlchemy's asyncpg dialect casts every bound parameter to its type: `$8::TIMESTAMP WITHOUT TIME ZONE`.
_NAIVE_TIMESTAMP = re.compile(r"\$(\d+)::TIMESTAMP(?:\(\d+\))? WITHOUT TIME ZONE")


@functools.lru_cache(maxsize=256)
def script_statements(sql: str) -> tuple[str, ...]:
    """The statements of `sql` when it holds several, else an empty tuple (also when it does not lex)."""
    if ";" not in sql:
        return ()
    try:
        statements = split_statements(sql)
    except SQLLexError:
        return ()
    return tuple(statements) if len(statements) > 1 else ()


@functools.lru_cache(maxsize=1024)
def naive_timestamp_positions(sql: str) -> tuple[int, ...]:
    """The (0-based) positions of the parameters `sql` casts to `timestamp without time zone`."""
    return tuple(sorted({int(number) - 1 for number in _NAIVE_TIMESTAMP.findall(sql)}))


def _wall_clock(row: Any, positions: tuple[int, ...]) -> Any:
    """`row` with the zone dropped from each aware datetime at `positions`; `row` itself when there is none."""
    values = list(row)
    changed = False
    for position in positions:
        value = values[position] if position < len(values) else None
        if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
            values[position] = value.replace(tzinfo=None)
            changed = True
    return values if changed else row


def _asyncpg(context: Any) -> bool:
    return context is not None and context.dialect.driver == "asyncpg"


@event.listens_for(Engine, "do_execute")
def _execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    if not _asyncpg(context):
        return None
    if not parameters:
        statements = script_statements(statement)
        if not statements:
            return None
        for single in statements:
            cursor.execute(single)
        return True
    positions = naive_timestamp_positions(statement)
    if not positions or isinstance(parameters, dict):
        return None
    row = _wall_clock(parameters, positions)
    if row is parameters:
        return None
    cursor.execute(statement, row)
    return True


@event.listens_for(Engine, "do_execute_no_params")
def _execute_without_parameters(cursor: Any, statement: str, context: Any) -> bool | None:
    return _execute(cursor, statement, None, context)


@event.listens_for(Engine, "do_executemany")
def _execute_many(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    positions = naive_timestamp_positions(statement) if _asyncpg(context) else ()
    if not positions:
        return None
    rows = [_wall_clock(row, positions) for row in parameters]
    if all(new is old for new, old in zip(rows, parameters)):
        return None
    cursor.executemany(statement, rows)
    return True
