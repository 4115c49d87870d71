"""An AsyncSession over a sync Session that other code keeps using the sync way.

A test suite's session fixture often hands its tests a sync ``Session`` that sync code shares: a
``scoped_session`` registry that factory_boy's ``Meta.sqlalchemy_session`` adds and commits through, inside a
SAVEPOINT the fixture rolls back after each test. Once the tests and the services they call are async, they
need an ``AsyncSession``, yet the factories must keep writing into that same session and transaction, or the
tests stop seeing the rows they made::

    @pytest.fixture(autouse=True)
    def session(db):
        session = Session()
        session.begin_nested()
        yield compat.adopt_session(session)
        session.rollback()

:class:`~sqlalchemy.ext.asyncio.AsyncSession` runs each of its methods as the same method of its
``sync_session`` inside a greenlet (SQLAlchemy's ``greenlet_spawn``). Built around the existing session, every
``await adopted.execute(...)``, ``commit()``, ``get()``, ``flush()`` and ``run_sync()`` (``call_legacy``) acts on
that session, its identity map and its transaction. On a sync driver (psycopg2, pysqlite) the greenlet simply
makes the blocking call, so nothing needs an async driver; lazy loads keep working as they did.

The adopted session is a genuine ``AsyncSession`` built through its public ``sync_session_class`` parameter,
so ``isinstance`` checks, ``async_object_session()`` and ``async_session()`` all see it. What it cannot offer
is an asyncio bind: the sync engine has no ``AsyncEngine`` counterpart, so ``adopted.bind`` raises
(``AsyncBindNotFound`` on SQLAlchemy 2.1, ``AttributeError`` on 2.0); ``adopted.sync_session.bind`` is the engine.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_session
from sqlalchemy.orm import Session

__all__ = ["adopt_session"]


def adopt_session(sync_session: Session) -> AsyncSession:
    """The ``AsyncSession`` whose ``sync_session`` is ``sync_session`` (the one already proxying it, if any).

    Closing, committing or rolling back either side acts on the one session they share."""
    if not isinstance(sync_session, Session):
        raise TypeError(f"adopt_session() takes a sync sqlalchemy.orm.Session, not {type(sync_session).__name__}")
    existing = async_session(sync_session)
    if existing is not None:
        return existing

    def the_adopted_session(**_construction_arguments: object) -> Session:
        # AsyncSession.__init__ calls this with bind=None, binds=None: the adopted session keeps its own binds.
        return sync_session

    return AsyncSession(sync_session_class=the_adopted_session)
