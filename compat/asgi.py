"""Open a legacy session scope per request: a pure ASGI middleware and a FastAPI dependency.

Either one makes ``Container.resolve("db_session")`` return a session that is
closed when the request ends, whether the endpoint is async or a sync function
run in the thread pool.  Neither imports Starlette or FastAPI.

    app.add_middleware(LegacySessionScopeMiddleware)
    # or
    app = FastAPI(dependencies=[Depends(request_session_scope)])
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from .scope import SessionScope, legacy_session_scope

__all__ = ["LegacySessionScopeMiddleware", "request_session_scope"]

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_SCOPED_TYPES = frozenset({"http", "websocket"})


class LegacySessionScopeMiddleware:
    def __init__(self, app: Callable[[_Scope, _Receive, _Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] not in _SCOPED_TYPES:
            await self.app(scope, receive, send)
            return
        # The ASGI scope is kept so warnings can name the routed endpoint.
        async with legacy_session_scope(asgi_scope=scope):
            await self.app(scope, receive, send)


async def request_session_scope() -> AsyncIterator[SessionScope]:
    """FastAPI dependency (with ``yield``) opening the scope for the rest of the request."""
    async with legacy_session_scope() as scope:
        yield scope
