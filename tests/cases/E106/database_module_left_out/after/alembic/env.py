import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import async_engine_from_config


def async_database_url(url: str | URL) -> URL:
    """`url` with the async driver `create_async_engine` needs (written by sqlasync).

    sqlite, postgresql/postgres and mysql/mariadb URLs with a sync driver get aiosqlite,
    asyncpg and aiomysql, always spelled out: SQLAlchemy 2.1 reads a bare postgresql://
    as psycopg 3. URLs that already name an async driver (or one this function does not
    know) are returned as they are.
    """
    url = make_url(url)
    dialect, _, driver = url.drivername.partition("+")
    dialect = "postgresql" if dialect == "postgres" else dialect
    async_drivers = {
        "sqlite": "aiosqlite",
        "postgresql": "asyncpg",
        "mysql": "aiomysql",
        "mariadb": "aiomysql",
    }
    sync_drivers = {
        "",
        "pysqlite",
        "psycopg2",
        "psycopg2cffi",
        "pg8000",
        "pymysql",
        "mysqldb",
        "mysqlconnector",
    }
    if dialect not in async_drivers or driver not in sync_drivers:
        return url
    if dialect == "postgresql" and "sslmode" in url.query:
        # asyncpg calls psycopg2's `sslmode` parameter `ssl`.
        ssl = url.query["sslmode"]
        url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": ssl})
    return url.set(drivername=f"{dialect}+{async_drivers[dialect]}")


sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from app.database import Base  # noqa: E402

config = context.config
target_metadata = Base.metadata


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
        url=async_database_url(config.get_main_option("sqlalchemy.url")),
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


def run_migrations_online() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async_migrations())
    else:
        # Called from async code, whose event loop is busy running it:
        # migrate on a loop of our own.
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(asyncio.run, run_async_migrations()).result()


run_migrations_online()
