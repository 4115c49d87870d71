# expect: E101 E102
# before
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

# `sa` served only the engine call: its import goes with it (pyflakes would report it unused).
engine = sa.create_engine("sqlite:///app.db", echo=False)
SessionLocal = sessionmaker(bind=engine)
# after
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

# `sa` served only the engine call: its import goes with it (pyflakes would report it unused).
engine = create_async_engine("sqlite+aiosqlite:///app.db", echo=False)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
