# expect: E101 E102
# before
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker


def sql_global_init(db_url: str):
    connect_args = {}
    if "sqlite" in db_url:
        connect_args["check_same_thread"] = False

    engine = sa.create_engine(db_url, echo=False, connect_args=connect_args, pool_pre_ping=True)

    SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

    return SessionLocal, engine


SessionLocal, engine = sql_global_init("sqlite:///./app.db")
# after
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine


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


def sql_global_init(db_url: str):
    connect_args = {}
    if "sqlite" in db_url:
        connect_args["check_same_thread"] = False

    engine = create_async_engine(
        async_database_url(db_url),
        echo=False,
        connect_args=connect_args,
        pool_pre_ping=True,
    )

    SessionLocal = async_sessionmaker(engine, autoflush=False, expire_on_commit=False)

    return SessionLocal, engine


SessionLocal, engine = sql_global_init("sqlite:///./app.db")
