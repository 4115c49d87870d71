"""A drop-in for the legacy ``Container`` service locator that no longer leaks sessions.

Legacy code did ``Container.register_factory("db_session", lambda: SessionLocal())``
and ``db = Container.resolve("db_session")`` without ever closing ``db``.  Here,
``resolve("db_session")`` returns the session owned by the current request/task
scope (see :mod:`sqlasync.compat.scope`), which closes it when the scope ends.

Outside any scope, ``resolve("db_session")`` raises :class:`SessionScopeError`
rather than handing out a session that nothing would close: silently returning
one would keep the leak this shim exists to remove.  Jobs and scripts wrap their
work in ``legacy_session_scope()``.

The session comes from the factory registered for ``"db_session"`` if there is
one, else from the configured database's sync twin.  Every other name is a plain
factory registry, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from .database import Database, get_database
from .deprecation import report_legacy_access
from .scope import current_scope

__all__ = ["DB_SESSION", "LegacyContainer", "Container"]

DB_SESSION = "db_session"


class LegacyContainer:
    def __init__(self, database: Database | None = None) -> None:
        self._database = database
        self._factories: dict[str, Callable[[], Any]] = {}

    def register_factory(self, name: str, factory: Callable[[], Any]) -> None:
        self._factories[name] = factory

    def resolve(self, name: str) -> Any:
        if name == DB_SESSION:
            report_legacy_access("Container.resolve", "D102")
            return current_scope().session(self._session_factory)
        try:
            factory = self._factories[name]
        except KeyError:
            raise KeyError(f"no factory registered for {name!r}") from None
        return factory()

    def _session_factory(self) -> Session:
        registered = self._factories.get(DB_SESSION)
        if registered is not None:
            return registered()
        database = self._database if self._database is not None else get_database()
        return database.sync_sessionmaker()


Container = LegacyContainer()
