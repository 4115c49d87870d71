"""Request/task scopes that own the legacy sync session and close it at the end.

A scope is carried in a :class:`contextvars.ContextVar`, so it follows the
request into its own task and into the worker thread that Starlette/FastAPI run
sync endpoints in (both copy the context).  The scope object is shared by
reference, so a session created in a worker thread is still closed by the scope.

One scope holds at most one session: every ``Container.resolve("db_session")``
in the same request returns the same ``Session``, like ``scoped_session``.

Enter a scope with :func:`legacy_session_scope` (``with``, ``async with``, or as
a decorator on sync/async functions such as Celery tasks), the ASGI middleware
or the FastAPI dependency in :mod:`sqlasync.compat.asgi`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import threading
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from .callsite import CallSite, call_site_of_function

__all__ = ["SessionScope", "SessionScopeError", "current_scope", "legacy_session_scope", "current_endpoint_site"]

_F = TypeVar("_F", bound=Callable[..., Any])


class SessionScopeError(RuntimeError):
    """A scoped legacy session was requested outside any request/task scope."""


class SessionScope:
    def __init__(self, asgi_scope: MutableMapping[str, Any] | None = None) -> None:
        self.asgi_scope = asgi_scope
        self._session: Session | None = None
        self._closed = False
        self._lock = threading.Lock()

    def session(self, factory: Callable[[], Session]) -> Session:
        """This scope's session, created by ``factory`` on first use."""
        with self._lock:
            if self._closed:
                raise SessionScopeError("this request/task scope has already ended; its session is closed")
            if self._session is None:
                self._session = factory()
            return self._session

    def close(self) -> None:
        # Synchronous on purpose: closing inline cannot be skipped by a cancelled await.
        with self._lock:
            self._closed = True
            session, self._session = self._session, None
        if session is not None:
            session.close()


_current: contextvars.ContextVar[SessionScope | None] = contextvars.ContextVar("sqlasync_session_scope", default=None)


def current_scope() -> SessionScope:
    scope = _current.get()
    if scope is None:
        raise SessionScopeError(
            'Container.resolve("db_session") was called outside a request/task scope, where nothing would ever '
            "close the session. Add sqlasync.compat.LegacySessionScopeMiddleware to the ASGI app, or wrap the "
            "job/script in `with sqlasync.compat.legacy_session_scope():` (or use it as a decorator)."
        )
    return scope


def current_endpoint_site() -> CallSite | None:
    """The route endpoint of the current request, when the scope came from ASGI routing."""
    scope = _current.get()
    if scope is None or scope.asgi_scope is None:
        return None
    endpoint = scope.asgi_scope.get("endpoint")
    return call_site_of_function(endpoint) if endpoint is not None else None


class legacy_session_scope:  # noqa: N801 - used like contextlib helpers
    """Context manager / decorator opening one scope; the session it hands out is closed on exit."""

    def __init__(self, asgi_scope: MutableMapping[str, Any] | None = None) -> None:
        self._asgi_scope = asgi_scope
        self._entered: list[tuple[SessionScope, contextvars.Token[SessionScope | None]]] = []

    def __enter__(self) -> SessionScope:
        scope = SessionScope(self._asgi_scope)
        self._entered.append((scope, _current.set(scope)))
        return scope

    def __exit__(self, *exc_info: object) -> None:
        scope, token = self._entered.pop()
        try:
            scope.close()
        finally:
            _current.reset(token)

    async def __aenter__(self) -> SessionScope:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__(*exc_info)

    def __call__(self, function: _F) -> _F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async_in_scope(*args: Any, **kwargs: Any) -> Any:
                async with legacy_session_scope():
                    return await function(*args, **kwargs)

            return run_async_in_scope  # type: ignore[return-value]

        @functools.wraps(function)
        def run_in_scope(*args: Any, **kwargs: Any) -> Any:
            with legacy_session_scope():
                return function(*args, **kwargs)

        return run_in_scope  # type: ignore[return-value]
