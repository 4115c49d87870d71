"""Hand legacy asyncpg code the real asyncpg connection of a pooled SQLAlchemy connection.

On ``postgresql+asyncpg`` the facade checks a connection out of the
``AsyncEngine``'s own pool (``raw_connection()``: no SQLAlchemy transaction
wrapped around it) and exposes its ``driver_connection``, so queries, records,
status strings, exceptions and transactions are asyncpg's own.

Two things differ between a connection fresh from asyncpg and one SQLAlchemy
prepared, and both are undone here:

* SQLAlchemy installs JSON/JSONB codecs that decode to Python objects, where
  asyncpg returns ``str``.  A connection is switched to asyncpg's codecs when the
  facade takes it and back to SQLAlchemy's when SQLAlchemy next checks it out
  (pool ``checkout`` event).  For these built-in types the switch needs no
  server round trip; it only drops asyncpg's statement cache, and only when the
  connection actually changes hands between the two worlds.
* asyncpg's pool resets session state on release (``Connection.reset()``:
  roll back, close cursors, ``UNLISTEN *``, ``RESET ALL``, release advisory
  locks), so legacy ``SET`` or ``LISTEN`` never leak into ORM sessions.  The
  facade does the same before returning the connection to SQLAlchemy's pool; a
  connection whose reset fails is invalidated instead.
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from .concurrency import await_, greenlet_call
from .deprecation import report_legacy_access

__all__ = ["NativeAsyncpgConnection", "NativeBackend"]

# Connections whose JSON codecs are currently asyncpg's defaults.
_with_asyncpg_codecs: weakref.WeakSet[Any] = weakref.WeakSet()
_guarded_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
# Set while the facade itself checks a connection out, so the guard leaves it alone.
_facade_checkout: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlasync_facade_checkout", default=False)

_JSON_TYPES = ("json", "jsonb")


def _install_codec_guard(sync_engine: Engine) -> None:
    if sync_engine in _guarded_engines:
        return
    dialect = sync_engine.dialect

    def restore_sqlalchemy_codecs(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if _facade_checkout.get():
            return
        driver_connection = dbapi_connection.driver_connection
        if driver_connection in _with_asyncpg_codecs:
            await_(dialect.setup_asyncpg_json_codec(dbapi_connection))
            await_(dialect.setup_asyncpg_jsonb_codec(dbapi_connection))
            _with_asyncpg_codecs.discard(driver_connection)

    event.listen(sync_engine, "checkout", restore_sqlalchemy_codecs)
    _guarded_engines.add(sync_engine)


async def _use_asyncpg_codecs(driver_connection: Any) -> None:
    for type_name in _JSON_TYPES:
        await driver_connection.reset_type_codec(type_name, schema="pg_catalog")
    _with_asyncpg_codecs.add(driver_connection)


class NativeAsyncpgConnection:
    """The real ``asyncpg.Connection``; legacy calls are reported, everything else passes through.

    The query methods return asyncpg's own awaitables instead of wrapping them in
    another coroutine: one frame less per query on the hottest legacy path. They read
    ``self._connection or self._live()``: an asyncpg connection is always true, so
    ``_live()`` (which raises) runs only once the connection is released.
    """

    __slots__ = ("_connection", "_fairy")

    def __init__(self, fairy: Any) -> None:
        self._fairy = fairy
        self._connection = fairy.driver_connection

    def _live(self) -> Any:
        if self._connection is None:
            import asyncpg

            raise asyncpg.InterfaceError("cannot use the connection: it has been released back to the pool")
        return self._connection

    def fetch(self, query: str, *args: Any, **options: Any) -> Awaitable[Any]:
        report_legacy_access("Connection.fetch", "R103")
        return (self._connection or self._live()).fetch(query, *args, **options)

    def fetchrow(self, query: str, *args: Any, **options: Any) -> Awaitable[Any]:
        report_legacy_access("Connection.fetchrow", "R103")
        return (self._connection or self._live()).fetchrow(query, *args, **options)

    def fetchval(self, query: str, *args: Any, **options: Any) -> Awaitable[Any]:
        report_legacy_access("Connection.fetchval", "R103")
        return (self._connection or self._live()).fetchval(query, *args, **options)

    def execute(self, query: str, *args: Any, **options: Any) -> Awaitable[Any]:
        report_legacy_access("Connection.execute", "R103")
        return (self._connection or self._live()).execute(query, *args, **options)

    def executemany(self, command: str, args: Any, **options: Any) -> Awaitable[None]:
        report_legacy_access("Connection.executemany", "R103")
        return (self._connection or self._live()).executemany(command, args, **options)

    def transaction(self, **options: Any) -> Any:
        report_legacy_access("Connection.transaction", "R104")
        return self._live().transaction(**options)

    def _target(self) -> Any:
        """The unreported asyncpg connection, for the pool's own shortcuts."""
        return self._live()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live(), name)

    def __repr__(self) -> str:
        state = "released" if self._connection is None else repr(self._connection)
        return f"<NativeAsyncpgConnection {state}>"


class NativeBackend:
    """Checks asyncpg connections in and out of an ``AsyncEngine``'s pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sync_engine = engine.sync_engine
        _install_codec_guard(self._sync_engine)

    async def checkout(self) -> NativeAsyncpgConnection:
        marker = _facade_checkout.set(True)
        try:
            fairy = await greenlet_call(self._sync_engine.raw_connection)
        finally:
            _facade_checkout.reset(marker)
        if fairy.driver_connection not in _with_asyncpg_codecs:
            try:
                await _use_asyncpg_codecs(fairy.driver_connection)
            except BaseException:
                await self._discard(fairy)
                raise
        return NativeAsyncpgConnection(fairy)

    async def checkin(self, connection: NativeAsyncpgConnection) -> None:
        """Cancellation-safe without a helper task: an interrupted reset discards the connection, like asyncpg."""
        fairy = connection._fairy
        connection._connection = None
        try:
            await fairy.driver_connection.reset()
        except BaseException:
            await self._discard(fairy)
            raise
        # Suspends only if a pool event does I/O: the adapted connection has no SQLAlchemy transaction to roll back.
        await greenlet_call(fairy.close)

    @staticmethod
    async def _discard(fairy: Any) -> None:
        # Terminate first: a connection interrupted mid-query must not be closed gracefully.
        fairy.driver_connection.terminate()
        await greenlet_call(fairy.invalidate)
