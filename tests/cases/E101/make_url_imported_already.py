# expect: E101
# before
import os

from sqlalchemy import create_engine
from sqlalchemy.engine.url import make_url

# The URL helper's `make_url` is the one this module imports from sqlalchemy.engine.url already: one import more
# would redefine it (pyflakes' F811).
DATABASE_URL = make_url(os.environ["DATABASE_URL"])
engine = create_engine(DATABASE_URL)
# after
import os

from sqlalchemy.engine import URL
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import create_async_engine


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


# The URL helper's `make_url` is the one this module imports from sqlalchemy.engine.url already: one import more
# would redefine it (pyflakes' F811).
DATABASE_URL = make_url(os.environ["DATABASE_URL"])
engine = create_async_engine(async_database_url(DATABASE_URL))
