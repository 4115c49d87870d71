# expect: E108 E108 E108 E108 E108 E108 E108 E108 F101
# before
from sqlalchemy import inspect

from app.database import async_engine, engine


def table_names() -> set[str]:
    return set(inspect(engine).get_table_names())


async def columns(table: str) -> list[str]:
    # one block per statement
    names = [column["name"] for column in inspect(engine).get_columns(table)]
    return names


async def first_index(table: str):
    return inspect(engine).get_indexes(table)[0]


async def describe(table: str) -> dict:
    inspector = inspect(engine)
    columns = inspector.get_columns(table)
    keys = inspector.get_pk_constraint(table)
    return {"columns": columns, "primary key": keys}


async def passed_on():
    inspector = inspect(engine)
    return inspector


async def in_a_header(table: str) -> bool:
    if inspect(engine).has_table(table):
        return True
    return False


async def on_a_connection(conn):
    return inspect(conn).get_table_names()


async def two_engines():
    return inspect(engine).get_table_names() == inspect(async_engine).get_table_names()
# after
from sqlalchemy import inspect

from app.database import async_engine, engine


async def table_names() -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names()))


async def columns(table: str) -> list[str]:
    # one block per statement
    async with engine.connect() as conn:
        names = [
            column["name"] for column in await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_columns(table))
        ]
    return names


async def first_index(table: str):
    async with engine.connect() as conn:
        return (await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_indexes(table)))[0]


async def describe(table: str) -> dict:
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_columns(table))
        keys = await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_pk_constraint(table))
    return {"columns": columns, "primary key": keys}


async def passed_on():
    inspector = inspect(engine)
    return inspector


async def in_a_header(table: str) -> bool:
    if inspect(engine).has_table(table):
        return True
    return False


async def on_a_connection(conn):
    return inspect(conn).get_table_names()


async def two_engines():
    return inspect(engine).get_table_names() == inspect(async_engine).get_table_names()
