"""An ``asyncpg.Pool`` look-alike backed by the application's ``AsyncEngine`` pool.

Legacy services keep their ``async with pool.acquire() as conn: await conn.fetch(...)``
code; the connections they get come out of the same pool as every AsyncSession,
so the mixed application has one pool and one configuration.

* ``postgresql+asyncpg``: the real asyncpg connection of a pooled SQLAlchemy
  connection (:mod:`sqlasync.compat.asyncpg_native`), exact asyncpg semantics.
* anything else (SQLite in tests): an emulation that translates ``$n``
  parameters (:mod:`sqlasync.compat.asyncpg_emulated`).

``acquire()`` reports R102, the query methods R103 and ``transaction()`` R104,
once per call site.  ``close()`` waits for acquired connections to come back
but leaves the engine alone: whoever owns the engine disposes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from .asyncpg_emulated import EmulatedBackend
from .asyncpg_statements import FacadeInterfaceError
from .concurrency import finish_despite_cancellation
from .deprecation import report_legacy_access

__all__ = ["LegacyAsyncpgPool"]


class _Backend(Protocol):
    async def checkout(self) -> Any: ...
    async def checkin(self, connection: Any) -> None: ...


def _backend_for(engine: AsyncEngine) -> _Backend:
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        from .asyncpg_native import NativeBackend

        return NativeBackend(engine)
    return EmulatedBackend(engine)


class _PoolAcquireContext:
    """Both ``await pool.acquire()`` and ``async with pool.acquire() as conn``."""

    __slots__ = ("_pool", "_timeout", "_connection")

    def __init__(self, pool: LegacyAsyncpgPool, timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._connection: Any = None

    async def __aenter__(self) -> Any:
        self._connection = await self._pool._acquire(self._timeout)
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        connection, self._connection = self._connection, None
        await self._pool._release(connection)

    def __await__(self) -> Generator[Any, None, Any]:
        return self._pool._acquire(self._timeout).__await__()


class LegacyAsyncpgPool:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._backend = _backend_for(engine)
        self._acquired: set[Any] = set()
        self._closing = False
        self._all_released: asyncio.Event | None = None

    def acquire(self, *, timeout: float | None = None) -> _PoolAcquireContext:
        report_legacy_access("Pool.acquire", "R102")
        return _PoolAcquireContext(self, timeout)

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        """Give ``connection`` back; a reset that outlasts ``timeout`` discards the connection, as in asyncpg."""
        if timeout is None:
            await self._release(connection)
        else:
            await asyncio.wait_for(self._release(connection), timeout)

    async def _acquire(self, timeout: float | None) -> Any:
        if self._closing:
            raise FacadeInterfaceError("pool is closing")
        if timeout is None:
            connection = await self._backend.checkout()
        else:
            connection = await self._checkout_within(timeout)
        self._acquired.add(connection)
        return connection

    async def _checkout_within(self, timeout: float) -> Any:
        checkout = asyncio.ensure_future(self._backend.checkout())
        try:
            done, _ = await asyncio.wait({checkout}, timeout=timeout)
        except asyncio.CancelledError:
            await self._abandon(checkout)
            raise
        if not done:
            await self._abandon(checkout)
            raise asyncio.TimeoutError(f"no connection became available within {timeout} seconds")
        return checkout.result()

    async def _abandon(self, checkout: asyncio.Future[Any]) -> None:
        """Cancel a pending checkout; if it won the race, give its connection straight back."""
        checkout.cancel()
        await finish_despite_cancellation(asyncio.wait({checkout}))
        if not checkout.cancelled() and checkout.exception() is None:
            await self._backend.checkin(checkout.result())

    async def _release(self, connection: Any) -> None:
        if connection not in self._acquired:
            raise FacadeInterfaceError(f"{connection!r} was not acquired from this pool or is already released")
        self._acquired.discard(connection)
        try:
            # Each backend's checkin returns the connection to the pool even when cancelled midway.
            await self._backend.checkin(connection)
        finally:
            if not self._acquired and self._all_released is not None:
                self._all_released.set()

    async def fetch(self, query: str, *args: Any, **options: Any) -> list[Any]:
        report_legacy_access("Pool.fetch", "R103")
        async with _PoolAcquireContext(self, None) as connection:
            return await connection._target().fetch(query, *args, **options)

    async def fetchrow(self, query: str, *args: Any, **options: Any) -> Any:
        report_legacy_access("Pool.fetchrow", "R103")
        async with _PoolAcquireContext(self, None) as connection:
            return await connection._target().fetchrow(query, *args, **options)

    async def fetchval(self, query: str, *args: Any, **options: Any) -> Any:
        report_legacy_access("Pool.fetchval", "R103")
        async with _PoolAcquireContext(self, None) as connection:
            return await connection._target().fetchval(query, *args, **options)

    async def execute(self, query: str, *args: Any, **options: Any) -> str:
        report_legacy_access("Pool.execute", "R103")
        async with _PoolAcquireContext(self, None) as connection:
            return await connection._target().execute(query, *args, **options)

    async def executemany(self, command: str, args: Iterable[Sequence[Any]], **options: Any) -> None:
        report_legacy_access("Pool.executemany", "R103")
        async with _PoolAcquireContext(self, None) as connection:
            await connection._target().executemany(command, args, **options)

    def is_closing(self) -> bool:
        return self._closing

    async def close(self) -> None:
        """Refuse new acquisitions and wait until every acquired connection is released."""
        self._closing = True
        if self._acquired:
            self._all_released = asyncio.Event()
            await self._all_released.wait()
