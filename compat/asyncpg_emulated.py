"""Run legacy asyncpg code on databases that are not PostgreSQL+asyncpg (SQLite in tests).

Each ``$n`` is turned into a named bind of the driver's own paramstyle by the
SQL lexer (never inside literals, comments, quoted identifiers or dollar-quoted
bodies; ``$1`` used twice is one bind).  A cast written on a parameter
(``$1::int``) is dropped: asyncpg already insisted on an argument of the right
Python type, and the target database would not parse ``::``.  Casts on other
expressions are passed through unchanged.

The statement goes to the driver through ``exec_driver_sql`` on a connection of
the ``AsyncEngine``'s pool in autocommit mode, so, as with asyncpg, every
statement outside ``transaction()`` commits on its own, and ``transaction()``
issues ``BEGIN`` / ``SAVEPOINT`` itself.  Results come back as
:class:`~sqlasync.compat.records.Record` lists and asyncpg-style status
strings (``INSERT 0 1``, ``UPDATE 3``, ``SELECT 2``, ``CREATE TABLE``).

Differences that remain: values are whatever the driver returns (SQLite has no
arrays, JSON or timezone-aware timestamps), and errors are SQLAlchemy's
``DBAPIError`` subclasses rather than asyncpg's exception classes.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .concurrency import finish_despite_cancellation
from .deprecation import report_legacy_access
from .records import Columns, Record
from .asyncpg_statements import FacadeInterfaceError, PreparedStatement, paramstyle_for, prepare_statement, status_string
from .sql_lexer import split_statements

__all__ = ["EmulatedAsyncpgConnection", "EmulatedBackend", "EmulatedTransaction"]


# Drivers only count rows for statements that *start* with INSERT/UPDATE/DELETE;
# for `WITH ... DELETE` the database itself still knows.
_CHANGES_QUERIES = {"sqlite": "SELECT changes()", "mysql": "SELECT ROW_COUNT()", "mariadb": "SELECT ROW_COUNT()"}
_WRITE_TAGS = frozenset({"INSERT", "UPDATE", "DELETE"})


def _records(result: CursorResult[Any], limit: int | None = None) -> list[Record]:
    if not result.returns_rows:
        return []
    columns = Columns(list(result.keys()))
    rows = result.fetchmany(limit) if limit is not None else result.fetchall()
    result.close()
    return [Record(row, columns) for row in rows]


class _SQLAlchemyExecutor:
    """asyncpg's query methods implemented on one pooled ``AsyncConnection``."""

    def __init__(self, connection: AsyncConnection, dialect_name: str) -> None:
        self.connection: AsyncConnection | None = connection
        self.style = paramstyle_for(dialect_name)
        self._changes_query = _CHANGES_QUERIES.get(dialect_name)
        self.transactions: list[EmulatedTransaction] = []
        self._savepoint_numbers = itertools.count(1)

    def live(self) -> AsyncConnection:
        if self.connection is None:
            raise FacadeInterfaceError("cannot use the connection: it has been released back to the pool")
        return self.connection

    async def _run(self, statement: PreparedStatement, args: Sequence[Any]) -> CursorResult[Any]:
        parameters = statement.bind(args)
        if parameters:
            return await self.live().exec_driver_sql(statement.sql, parameters)
        return await self.live().exec_driver_sql(statement.sql)

    async def _with_timeout(self, operation: Any, timeout: float | None) -> Any:
        return await (operation if timeout is None else asyncio.wait_for(operation, timeout))

    async def _query(self, query: str, args: Sequence[Any], limit: int | None, timeout: float | None) -> list[Record]:
        async def run() -> list[Record]:
            return _records(await self._run(prepare_statement(query, self.style), args), limit)

        return await self._with_timeout(run(), timeout)

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list[Record]:
        return await self._query(query, args, None, timeout)

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None) -> Record | None:
        rows = await self._query(query, args, 1, timeout)
        return rows[0] if rows else None

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any:
        rows = await self._query(query, args, 1, timeout)
        return rows[0][column] if rows else None

    async def _execute_one(self, statement: PreparedStatement, args: Sequence[Any]) -> str:
        result = await self._run(statement, args)
        if result.returns_rows:
            row_count = len(result.fetchall())
        else:
            row_count = result.rowcount
        result.close()
        if row_count < 0 and statement.tag in _WRITE_TAGS and self._changes_query:
            row_count = (await self.live().exec_driver_sql(self._changes_query)).scalar_one()
        return status_string(statement.tag, max(row_count, 0))

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        async def run() -> str:
            if args:
                return await self._execute_one(prepare_statement(query, self.style), args)
            # Without arguments asyncpg uses the simple protocol, which accepts a whole script.
            status = ""
            for statement in split_statements(query):
                status = await self._execute_one(prepare_statement(statement, self.style), ())
            return status

        return await self._with_timeout(run(), timeout)

    async def executemany(self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None) -> None:
        statement = prepare_statement(command, self.style)
        batch = [statement.bind(arguments) for arguments in args]
        if batch:
            await self._with_timeout(self.live().exec_driver_sql(statement.sql, batch), timeout)

    async def run_control(self, sql: str) -> None:
        await self.live().exec_driver_sql(sql)

    def lost_connection(self) -> bool:
        """SQLAlchemy invalidated the connection (e.g. a query was cancelled): the database already discarded
        its transaction, and nothing more can be sent on it."""
        return self.live().invalidated

    def next_savepoint_name(self) -> str:
        return f"sqlasync_savepoint_{next(self._savepoint_numbers)}"

    def is_in_transaction(self) -> bool:
        return bool(self.transactions)


class _TransactionState(enum.Enum):
    NEW = "new"
    STARTED = "started"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled back"


class EmulatedTransaction:
    """asyncpg's ``Transaction``: ``BEGIN``/``COMMIT``, or a savepoint when nested."""

    def __init__(self, executor: _SQLAlchemyExecutor) -> None:
        self._executor = executor
        self._state = _TransactionState.NEW
        self._savepoint: str | None = None

    async def start(self) -> None:
        if self._state is not _TransactionState.NEW:
            raise FacadeInterfaceError(f"cannot start; the transaction is already {self._state.value}")
        if self._executor.transactions:
            self._savepoint = self._executor.next_savepoint_name()
            await self._executor.run_control(f"SAVEPOINT {self._savepoint}")
        else:
            await self._executor.run_control("BEGIN")
        self._executor.transactions.append(self)
        self._state = _TransactionState.STARTED

    def _finish(self, action: str) -> None:
        if self._state is not _TransactionState.STARTED:
            raise FacadeInterfaceError(f"cannot {action}; the transaction is {self._state.value}")
        if self._executor.transactions[-1] is not self:
            raise FacadeInterfaceError(f"cannot {action}; a nested transaction is still open")

    async def commit(self) -> None:
        self._finish("commit")
        if self._savepoint is None:
            await self._executor.run_control("COMMIT")
        else:
            await self._executor.run_control(f"RELEASE SAVEPOINT {self._savepoint}")
        self._executor.transactions.pop()
        self._state = _TransactionState.COMMITTED

    async def rollback(self) -> None:
        self._finish("rollback")
        # Popped first: whatever happens to ROLLBACK, this transaction is over.
        self._executor.transactions.pop()
        self._state = _TransactionState.ROLLED_BACK
        if self._executor.lost_connection():
            return
        if self._savepoint is None:
            await self._executor.run_control("ROLLBACK")
        else:
            await self._executor.run_control(f"ROLLBACK TO SAVEPOINT {self._savepoint}")
            await self._executor.run_control(f"RELEASE SAVEPOINT {self._savepoint}")

    async def __aenter__(self) -> EmulatedTransaction:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()


class EmulatedAsyncpgConnection:
    """What legacy code holds after ``pool.acquire()`` on a non-asyncpg database."""

    def __init__(self, executor: _SQLAlchemyExecutor) -> None:
        self._executor = executor

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list[Record]:
        report_legacy_access("Connection.fetch", "R103")
        return await self._executor.fetch(query, *args, timeout=timeout)

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None) -> Record | None:
        report_legacy_access("Connection.fetchrow", "R103")
        return await self._executor.fetchrow(query, *args, timeout=timeout)

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any:
        report_legacy_access("Connection.fetchval", "R103")
        return await self._executor.fetchval(query, *args, column=column, timeout=timeout)

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        report_legacy_access("Connection.execute", "R103")
        return await self._executor.execute(query, *args, timeout=timeout)

    async def executemany(self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None) -> None:
        report_legacy_access("Connection.executemany", "R103")
        await self._executor.executemany(command, args, timeout=timeout)

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> EmulatedTransaction:
        """Isolation, read-only and deferrable are PostgreSQL options the emulation cannot apply."""
        report_legacy_access("Connection.transaction", "R104")
        if isolation is not None or readonly or deferrable:
            raise FacadeInterfaceError(
                "transaction(isolation=..., readonly=..., deferrable=...) needs PostgreSQL with asyncpg"
            )
        return EmulatedTransaction(self._executor)

    def is_in_transaction(self) -> bool:
        return self._executor.is_in_transaction()

    def _target(self) -> _SQLAlchemyExecutor:
        return self._executor

    def __repr__(self) -> str:
        state = "released" if self._executor.connection is None else "acquired"
        return f"<EmulatedAsyncpgConnection {state}>"


class EmulatedBackend:
    """Checks autocommit ``AsyncConnection`` objects in and out of the engine's pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def checkout(self) -> EmulatedAsyncpgConnection:
        connection = await self._engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        except BaseException:
            await connection.close()
            raise
        return EmulatedAsyncpgConnection(_SQLAlchemyExecutor(connection, self._engine.dialect.name))

    async def checkin(self, facade: EmulatedAsyncpgConnection) -> None:
        executor = facade._target()
        connection, executor.connection = executor.live(), None
        in_transaction = bool(executor.transactions) and not connection.invalidated
        executor.transactions.clear()
        await finish_despite_cancellation(self._return(connection, in_transaction))

    @staticmethod
    async def _return(connection: AsyncConnection, in_transaction: bool) -> None:
        try:
            if in_transaction:
                await connection.exec_driver_sql("ROLLBACK")
        finally:
            await connection.close()
