from sqlalchemy import create_engine

from app.database import sessionmaker


def report_session(url: str):
    """A session on another database, for one report (the factory is the one the app imports)."""
    return sessionmaker(bind=create_engine(url))()
