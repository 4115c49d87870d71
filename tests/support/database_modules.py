"""Small database modules (an app's `database.py`) on each side of the migration, for tests that build
projects around them."""

ASYNC_DATABASE = """
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("sqlite+aiosqlite://")
    SessionLocal = async_sessionmaker(engine)


    async def get_db():
        async with SessionLocal() as session:
            yield session
"""
SYNC_DATABASE = """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite://")
    SessionLocal = sessionmaker(bind=engine)


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()
"""
