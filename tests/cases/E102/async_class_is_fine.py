# expect: E102
# before
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

LegacyAsync = sessionmaker(bind=engine, class_=AsyncSession)
Sync = sessionmaker(bind=engine)
# after
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import sessionmaker

LegacyAsync = sessionmaker(bind=engine, class_=AsyncSession)
Sync = async_sessionmaker(engine, expire_on_commit=False)
