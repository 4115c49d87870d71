"""A sync-driver engine on the database of an async engine, for sync code that must stay sync.

A test suite's ``scoped_session`` registry, shared with factory_boy, stays sync when the application's engine
becomes an ``AsyncEngine``; binding the registry to that engine (``Session.configure(bind=engine)``) would
hand sync code a session whose every query needs an event loop. ``sync_twin(engine)`` is an ``Engine`` with
the sync driver (psycopg2, pysqlite, pymysql) on the same URL and with the same execution options
(``schema_translate_map`` and the like), so::

    Session.configure(bind=compat.sync_twin(schema_engine))

keeps the factories working, and ``compat.adopt_session(Session())`` hands async tests the very same session.

One twin is made per pool of the async engine (``engine.execution_options(...)`` shares its pool, and so does
its twin); a sync engine is returned as it is.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

from .urls import to_sync_url

__all__ = ["sync_twin"]

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
