"""SQL scripts on asyncpg: several statements in one execute, as psycopg2 ran them.

psycopg2 sends a statement without parameters as one simple query, so legacy code runs whole scripts in a
single call: ``conn.execute(text(open("functions.sql").read()))``, a ``DDL("CREATE FUNCTION ...; CREATE
TRIGGER ...")`` listener of ``create_all``. asyncpg prepares every statement, and PostgreSQL refuses to prepare
several at once ("cannot insert multiple commands into a prepared statement"), so the same code fails once its
engine is ``postgresql+asyncpg``.

Importing :mod:`sqlasync.compat` registers one dialect-level listener on every engine: a statement that has
no parameters, runs on asyncpg and holds more than one statement is executed statement by statement on the
same cursor, in the same transaction and in order, leaving the cursor on the last one's result — what
psycopg2 returned. Anything else (every statement asyncpg accepts as it is) takes SQLAlchemy's own path
untouched.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .sql_lexer import SQLLexError, split_statements

__all__ = ["script_statements"]

# Drivers that prepare every statement although the sync driver they replace did not.
_PREPARING_DRIVERS = frozenset({"asyncpg"})


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


def _run_as_script(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    if parameters or context is None or context.dialect.driver not in _PREPARING_DRIVERS:
        return None
    statements = script_statements(statement)
    if not statements:
        return None
    for single in statements:
        cursor.execute(single)
    return True


@event.listens_for(Engine, "do_execute")
def _execute_script(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    return _run_as_script(cursor, statement, parameters, context)


@event.listens_for(Engine, "do_execute_no_params")
def _execute_script_without_parameters(cursor: Any, statement: str, context: Any) -> bool | None:
    return _run_as_script(cursor, statement, None, context)
