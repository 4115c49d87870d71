"""A ``functools.cached_property`` whose getter had to become async.

Python reads a property as an attribute and never awaits it, so a cached property whose getter now runs a
query becomes an async method, read as ``await obj.name()``. The cache must survive the move: the getter
may build an object that later reads mutate (a service, a repository bundle), and computing it on every
read would hand out a fresh one each time::

    @cached_per_instance
    async def service(self) -> RecipeService:
        return RecipeService(self.repos, await self.household())

The first ``await obj.service()`` runs the method and keeps its result on the instance; later calls return
that result without running it again, as ``cached_property`` did. Like ``cached_property`` (Python 3.12+)
there is no lock: two tasks that call it at the same time before either finished both run it, and the last
result is the one kept. An exception is not cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["cached_per_instance"]

_Owner = TypeVar("_Owner")
_T = TypeVar("_T")


def cached_per_instance(
    method: Callable[[_Owner], Coroutine[Any, Any, _T]],
) -> Callable[[_Owner], Coroutine[Any, Any, _T]]:
    """Decorate an async method without arguments so that it runs once per instance."""
    # Not an identifier: no attribute of the instance can be spelled like it, so the cached value never
    # shadows the method or anything else `obj.<name>` reaches.
    key = f"{method.__name__} (cached)"

    @functools.wraps(method)
    async def cached(self: _Owner) -> _T:
        values = self.__dict__
        if key in values:
            return values[key]
        value = await method(self)
        values[key] = value
        return value

    return cached
