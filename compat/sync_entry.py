"""Run migrated async code from a sync entry point that must stay sync.

Some functions cannot become ``async def`` whatever their body does: a Click command, a Celery task, a
function registered with a scheduler that calls it synchronously, a route behind a decorator that does
not accept coroutine functions. Once the code they call is async, the codemods keep such a function as a
sync *entry* whose body moved into an ``async def`` twin, and the entry runs the twin to its end::

    @cli.command()
    def purge() -> None:
        return compat.run_from_sync(purge_async)

Where the coroutine runs depends on the thread the entry was called on:

* a worker thread of an AnyIO/Starlette event loop (``run_in_threadpool``, a sync FastAPI route, a task
  scheduled with ``to_thread``): back on that loop, so the coroutine uses the same engine pool as the
  application's async code;
* a thread with no event loop (a script, a CLI command, a Celery worker, a sync test): on one event loop
  that compat keeps running in a background thread for the whole process, so every entry shares one
  loop and pooled connections never move between loops;
* SQLAlchemy's greenlet on the event loop's thread (an ORM event listener during an ``AsyncSession``
  flush, a sync function run by ``AsyncSession.run_sync`` or ``call_legacy``): the greenlet hands the
  coroutine to the loop and resumes with its result, as SQLAlchemy's own sync facade does;
* anywhere else on the event loop's thread this cannot work (waiting for the coroutine would block the
  loop that must run it), and ``SyncEntryOnLoopError`` says which function to await instead.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .concurrency import await_, in_greenlet

__all__ = ["SyncEntryOnLoopError", "run_from_sync"]

_T = TypeVar("_T")


class SyncEntryOnLoopError(RuntimeError):
    """A sync entry point was called on a thread whose event loop is running."""


def run_from_sync(function: Callable[..., Coroutine[Any, Any, _T]], /, *args: Any, **kwargs: Any) -> _T:
    """``await function(*args, **kwargs)`` from sync code, on the loop the calling thread belongs to."""
    call = functools.partial(function, *args, **kwargs)
    if _in_anyio_worker_thread():
        import anyio.from_thread

        return anyio.from_thread.run(call)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _background_loop().run(call())
    if in_greenlet():
        return await_(call())
    name = getattr(function, "__qualname__", repr(function))
    raise SyncEntryOnLoopError(
        f"the sync entry point of {name}() was called on the event loop's thread, which cannot wait for it: "
        f"`await {name}(...)` there instead"
    )


def _in_anyio_worker_thread() -> bool:
    """Was this thread started by AnyIO's `to_thread` (Starlette's `run_in_threadpool`) for a running loop?"""
    try:
        import anyio.from_thread
    except ImportError:
        return False
    try:
        anyio.from_thread.run_sync(_nothing)
    except RuntimeError:  # anyio's NoEventLoopError/"only from an AnyIO worker thread", or the loop has ended
        return False
    return True


def _nothing() -> None:
    return None


class _BackgroundLoop:
    """An event loop running forever in a daemon thread, closed at interpreter exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sqlasync-sync-entry", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # Ctrl-C in the caller: the coroutine does not go on alone
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()


_loop: _BackgroundLoop | None = None
_lock = threading.Lock()


def _background_loop() -> _BackgroundLoop:
    global _loop
    with _lock:
        if _loop is None:
            _loop = _BackgroundLoop()
            atexit.register(_loop.close)
        return _loop
