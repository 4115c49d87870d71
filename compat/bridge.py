"""Run legacy sync DAO code from async code on the caller's own connection and transaction.

``await call_legacy(db, dao.get_job, job_id)`` runs ``dao.get_job(session, job_id)``
(and ``await call_legacy(db, dao.get_job, db_session=db, job_id=job_id)`` runs
``dao.get_job(db_session=session, job_id=job_id)``) through :meth:`AsyncSession.run_sync`: the DAO receives the AsyncSession's own
sync ``Session`` and runs inside a greenlet on the event loop thread (no thread
pool), so it shares the caller's connection, identity map and transaction:

* it sees the caller's pending and flushed, uncommitted writes (autoflush);
* its writes are committed or rolled back by whoever ends the caller's
  transaction; a DAO that calls ``session.commit()`` itself commits the shared
  transaction, exactly as it did when legacy code shared one sync session;
* its exceptions reach the caller unchanged (same object, same traceback).

``@legacy_dao`` turns a DAO function (or every function of a DAO module) into
one that returns an awaitable when handed an ``AsyncSession`` and behaves as
before when handed a sync ``Session``, so decorated DAOs may keep calling each
other synchronously.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .deprecation import report_legacy_access

__all__ = ["call_legacy", "legacy_dao", "LegacyDaoModule"]

_T = TypeVar("_T")


def _qualified_name(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", None) or "?"
    return f"{module}.{getattr(function, '__qualname__', repr(function))}"


async def call_legacy(db: AsyncSession | Session, function: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """``function(sync_session, *args, **kwargs)`` on ``db``'s connection and transaction.

    When ``db`` itself is among the arguments (``call_legacy(db, get, db_session=db, id=1)``, for a
    function that takes its session by keyword), the sync session takes its place there instead.

    A sync ``Session`` (one that code left sync hands out, e.g. a generator dependency on the sync twin) is what
    ``function`` expects: it runs as it is, blocking like the sync code it is.

    A test double patched over ``function`` (a ``unittest.mock`` object) does no I/O: it is called with the caller's
    own arguments, ``db`` included, so a test asserting what it was called with sees the session it handed over."""
    report_legacy_access("call_legacy", "S101", target=_qualified_name(function))
    where = _position_of(db, args, kwargs)
    if isinstance(db, Session) or _is_test_double(function):
        result = function(*args, **kwargs) if where is not None else function(db, *args, **kwargs)
        return await result if inspect.isawaitable(result) and not isinstance(db, Session) else result
    if where is not None:
        return await db.run_sync(_with_session, function, where, args, kwargs)
    return await db.run_sync(function, *args, **kwargs)


def _is_test_double(function: Callable[..., Any]) -> bool:
    # Only a test that imported unittest.mock can have patched one in; the runtime never imports it itself.
    mock = sys.modules.get("unittest.mock")
    return mock is not None and isinstance(function, mock.NonCallableMock)


def _position_of(db: AsyncSession, args: tuple, kwargs: dict) -> int | str | None:
    for position, value in enumerate(args):
        if value is db:
            return position
    for name, value in kwargs.items():
        if value is db:
            return name
    return None


def _with_session(session: Session, function: Callable[..., _T], where: int | str, args: tuple, kwargs: dict) -> _T:
    if isinstance(where, int):
        args = (*args[:where], session, *args[where + 1 :])
    else:
        kwargs = {**kwargs, where: session}
    return function(*args, **kwargs)


def _find_session(args: tuple, kwargs: dict) -> tuple[int | str, Any] | None:
    for position, value in enumerate(args):
        if isinstance(value, (AsyncSession, Session)):
            return position, value
    for name, value in kwargs.items():
        if isinstance(value, (AsyncSession, Session)):
            return name, value
    return None


def _bridge(function: Callable[..., _T]) -> Callable[..., _T | Awaitable[_T]]:
    target = _qualified_name(function)

    @functools.wraps(function)
    def bridged(*args: Any, **kwargs: Any) -> _T | Awaitable[_T]:
        found = _find_session(args, kwargs)
        if found is None:
            raise TypeError(f"{target} is a @legacy_dao function and needs a Session or AsyncSession argument")
        where, session = found
        if isinstance(session, Session):
            return function(*args, **kwargs)
        report_legacy_access("legacy_dao", "S101", target=target)
        return session.run_sync(_with_session, function, where, args, kwargs)

    return bridged


class LegacyDaoModule:
    """A DAO module whose functions are bridged on attribute access (other attributes pass through)."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._bridged: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not (inspect.isfunction(value) and value.__module__ == self._module.__name__):
            return value
        bridged = self._bridged.get(name)
        if bridged is None:
            bridged = self._bridged[name] = _bridge(value)
        return bridged

    def __dir__(self) -> list[str]:
        return dir(self._module)

    def __repr__(self) -> str:
        return f"<legacy_dao {self._module.__name__}>"


@overload
def legacy_dao(target: ModuleType) -> LegacyDaoModule: ...
@overload
def legacy_dao(target: Callable[..., _T]) -> Callable[..., _T | Awaitable[_T]]: ...
def legacy_dao(target: ModuleType | Callable[..., _T]) -> LegacyDaoModule | Callable[..., _T | Awaitable[_T]]:
    """Decorate a sync DAO function, or wrap a whole DAO module, for use with an AsyncSession."""
    if isinstance(target, ModuleType):
        return LegacyDaoModule(target)
    if inspect.iscoroutinefunction(target):
        raise TypeError(f"{_qualified_name(target)} is already async; @legacy_dao is for sync DAO functions")
    return _bridge(target)
