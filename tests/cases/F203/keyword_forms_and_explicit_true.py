# expect: F203 F203
# A factory that asks for expire_on_commit=True on purpose is reported, not changed; one that already
# says False is left alone.
# before
from sqlalchemy.ext.asyncio import async_sessionmaker

SessionLocal = async_sessionmaker(engine, class_=AsyncSession, autoflush=False)
StrictLocal = async_sessionmaker(bind=engine, expire_on_commit=True)
ReadOnlyLocal = async_sessionmaker(engine, expire_on_commit=False)
# after
from sqlalchemy.ext.asyncio import async_sessionmaker

SessionLocal = async_sessionmaker(engine, class_=AsyncSession, autoflush=False, expire_on_commit=False)
StrictLocal = async_sessionmaker(bind=engine, expire_on_commit=True)
ReadOnlyLocal = async_sessionmaker(engine, expire_on_commit=False)
