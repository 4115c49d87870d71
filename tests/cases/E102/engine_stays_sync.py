# expect: E101 E102 E105 S101
# before
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


def create_db_engine(url):
    options = {"pool_pre_ping": True, "connect_args": {"sslmode": "require"}}
    return create_engine(url, **options)


# E101 leaves the engine (sslmode is psycopg2's), so the factory bound to it and the get_db that opens
# its sessions stay sync: an async_sessionmaker over a sync engine fails on first use.
engine = create_db_engine(DATABASE_URL)
SessionLocal = sessionmaker(bind=engine)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
