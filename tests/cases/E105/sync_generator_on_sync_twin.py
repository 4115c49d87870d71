# expect: E101 E102 E105 E105 F107 F108 S101 S101 S101 S101 S101 S102 S102 S102
# before
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.tracking import track, untrack
from app.slack import middleware

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine)


@contextmanager
def get_session() -> Session:
    session = SessionLocal()
    tracked = track(session)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        untrack(tracked)
        session.close()


def first_team_name(session: Session) -> str:
    return session.execute(text("SELECT name FROM team LIMIT 1")).scalar_one()


@middleware
def default_team_name() -> str:
    with get_session() as session:
        return first_team_name(session)


async def team_report(db: Session) -> str:
    return f"team: {first_team_name(db)}"


@middleware
def team_count() -> int:
    with get_session() as session:
        return session.execute(text("SELECT count(*) FROM team")).scalar_one()
# after
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlasync.compat import call_legacy, sync_session_from

from app.tracking import track, untrack
from app.slack import middleware

engine = create_async_engine("postgresql+asyncpg://app@db/app")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@contextmanager
def get_session() -> Session:
    session = sync_session_from(SessionLocal)
    tracked = track(session)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        untrack(tracked)
        session.close()


def first_team_name(session: Session) -> str:
    return session.execute(text("SELECT name FROM team LIMIT 1")).scalar_one()


@middleware
def default_team_name() -> str:
    with get_session() as session:
        return first_team_name(session)


async def team_report(db: AsyncSession) -> str:
    return f"team: {await call_legacy(db, first_team_name)}"


@middleware
def team_count() -> int:
    with get_session() as session:
        return session.execute(text("SELECT count(*) FROM team")).scalar_one()
