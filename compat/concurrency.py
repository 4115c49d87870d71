"""Greenlet and cancellation helpers shared by the bridge and the asyncpg facade."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from sqlalchemy.util.concurrency import greenlet_spawn

try:
    from sqlalchemy.util.concurrency import await_
except ImportError:  # SQLAlchemy 2.0 spells it await_only
    from sqlalchemy.util.concurrency import await_only as await_

__all__ = ["await_", "greenlet_spawn", "finish_despite_cancellation"]

_T = TypeVar("_T")


async def finish_despite_cancellation(cleanup: Coroutine[Any, Any, _T]) -> _T:
    """Run ``cleanup`` to its end even if the caller is cancelled meanwhile.

    Returning a connection to its pool must not stop halfway; a cancellation
    that arrives during the cleanup is re-raised once the cleanup is done.
    """
    task = asyncio.ensure_future(cleanup)
    interrupted: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError as cancellation:
            interrupted = cancellation
    result = task.result()
    if interrupted is not None:
        raise interrupted
    return result
