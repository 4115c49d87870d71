"""sqlasync: migrate legacy SQLAlchemy / raw asyncpg code to async SQLAlchemy 2.x."""

__version__ = "0.1.0"
