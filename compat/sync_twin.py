"""A sync-driver engine on the database of an async engine, for sync code that must stay sync.

A test suite's ``scoped_session`` registry, shared with factory_boy, stays sync when the application's engine
becomes an ``AsyncEngine``; binding the registry to that engine (``Session.configure(bind=engine)``) would
hand sync code a session whose every query needs an event loop. ``sync_twin(engine)`` is an ``Engine`` with
the sync driver (psycopg2, pysqlite, pymysql) on the same URL and with the same execution options
(``schema_translate_map`` and the like), so::

    Session.configure(bind=compat.sync_twin(schema_engine))

keeps the factories working, and ``compat.adopt_session(Session())`` hands async tests the very same session.

Code that must stay sync and opens its own session from a factory that became an ``async_sessionmaker`` (a
``@contextmanager`` that a thread, a CLI command or a Slack middleware enters) gets a sync ``Session`` configured
like the factory's sessions, on the twin of the factory's engine::

    session = compat.sync_session_from(SessionLocal)

One twin is made per pool of the async engine (``engine.execution_options(...)`` shares its pool, and so does
its twin); a sync engine is returned as it is.
"""

from __future__ import annotations

import threading
import weakref

from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

from .urls import to_sync_url

__all__ = ["sync_session_from", "sync_twin"]

_twins: weakref.WeakKeyDictionary[Pool, Engine] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def sync_twin(engine: AsyncEngine | Engine) -> Engine:
    """``engine`` itself when its driver is sync, else the sync-driver twin of its pool, with its execution options."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if not sync_engine.dialect.is_async:
        return sync_engine
    with _lock:
        twin = _twins.get(sync_engine.pool)
        if twin is None:
            url = to_sync_url(sync_engine.url.render_as_string(hide_password=False))
            twin = _twins[sync_engine.pool] = create_engine(url)
    options = sync_engine.get_execution_options()
    return twin.execution_options(**options) if options else twin


def sync_session_from(factory: async_sessionmaker[AsyncSession] | sessionmaker[Session], **options: Any) -> Session:
    """A sync ``Session`` made as ``factory(**options)`` makes its sessions, bound to the sync twin of its
    engine; a sync ``sessionmaker`` simply makes one."""
    if isinstance(factory, sessionmaker):
        return factory(**options)
    if not isinstance(factory, async_sessionmaker):
        raise TypeError(f"sync_session_from() takes a sessionmaker or async_sessionmaker, not {type(factory).__name__}")
    settings = {**factory.kw, **options}
    session_class = settings.pop("sync_session_class", None) or Session
    bind = settings.pop("bind", None)
    binds = settings.pop("binds", None)
    if bind is not None:
        settings["bind"] = sync_twin(bind)
    if binds:
        settings["binds"] = {key: sync_twin(engine) for key, engine in binds.items()}
    return session_class(**settings)
