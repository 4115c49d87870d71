"""Deprecated sync entry points for code that runs outside the event loop.

Threads, Celery workers and scripts that still do ``db = SessionLocal()`` or
depend on a sync ``get_db`` keep working, on the sync twin of the configured
:class:`~sqlasync.compat.database.Database` (same URL with the sync driver, same
pool settings), so there is still only one configuration.  Each call site is
reported once (D101 / E105).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from .database import Database, get_database
from .deprecation import report_legacy_access
from .scope import current_endpoint_site

__all__ = ["LegacySessionFactory", "SessionLocal", "get_db"]


class LegacySessionFactory:
    """Drop-in for a module-level ``SessionLocal = sessionmaker(...)``.

    Bound to ``database`` when given, else to whatever ``configure()`` registered
    at the time of each call (so import order does not matter).
    """

    def __init__(self, database: Database | None = None) -> None:
        self._database = database

    def _resolve(self) -> Database:
        return self._database if self._database is not None else get_database()

    def __call__(self, **session_options: Any) -> Session:
        report_legacy_access("SessionLocal", "D101")
        return self._resolve().sync_sessionmaker(**session_options)

    def begin(self) -> Any:
        """``with SessionLocal.begin() as db:``; commits on success, as ``sessionmaker.begin()`` does."""
        report_legacy_access("SessionLocal.begin", "D101")
        return self._resolve().sync_sessionmaker.begin()


SessionLocal = LegacySessionFactory()


def get_db() -> Iterator[Session]:
    """The legacy sync FastAPI dependency: yields a sync Session and always closes it."""
    # Under Depends() no application frame is on the stack; name the route instead.
    report_legacy_access("get_db", "E105", fallback=current_endpoint_site)
    session = get_database().sync_sessionmaker()
    try:
        yield session
    finally:
        session.close()
