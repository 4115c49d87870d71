import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config

sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from app.database import Base, async_database_url  # noqa: E402

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
