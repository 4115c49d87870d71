"""The rules of family E (engine and bootstrap code); E107/E108 are in engine_call_rules.py."""

from __future__ import annotations

import textwrap

from . import alembic_env, async_url
from ..core.rule import Rule
from .engine_call_rules import RULES as ENGINE_CALL_RULES


CREATE_ENGINE = Rule(
    code="E101", name="sync-create-engine", family="bootstrap",
    summary="`create_engine(...)` builds a sync engine",
    why=(
        "Async sessions need an `AsyncEngine` from `create_async_engine()` with an async driver in the URL "
        "(`sqlite+aiosqlite`, `postgresql+asyncpg`, `mysql+aiomysql`). SQLAlchemy 2.1 reads a bare "
        "`postgresql://` as psycopg 3, so the driver must always be spelled out."
    ),
    before='engine = create_engine(DATABASE_URL, pool_pre_ping=True)\n',
    after=(
        "from sqlalchemy.engine import URL, make_url\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "\n"
        "\n"
        + async_url.SOURCE
        + "\n"
        "\n"
        "engine = create_async_engine(async_database_url(DATABASE_URL), pool_pre_ping=True)\n"
    ),
    fixable=True,
    fix_notes=(
        "`create_engine` becomes `create_async_engine`. A URL literal is converted on the spot (with "
        "`sqlasync.compat.to_async_url`); any other URL expression is wrapped in `async_database_url(...)`, a "
        "small function the rewrite adds to the module once. It is written into the module rather than "
        "imported from `sqlasync.compat` so the migrated application does not depend on sqlasync at run "
        "time; it maps sqlite/pysqlite to sqlite+aiosqlite, postgresql/postgres/psycopg2/pg8000 to "
        "postgresql+asyncpg (psycopg2's `sslmode` query parameter to asyncpg's `ssl`), mysql/mariadb with "
        "pymysql/mysqldb/mysqlconnector to aiomysql, and keeps URLs that already name an async driver. "
        "The engine is converted together with its uses in the file (E107/E108): while one of them cannot be "
        "converted (engine-level `execute()`, a `dispose()` in a lambda, a connection handed on), the engine "
        "stays sync, with the list of those uses. `poolclass=QueuePool` becomes `AsyncAdaptedQueuePool`; `future=` and `autocommit=False` are dropped "
        "(SQLAlchemy 2 has neither); `**options` naming a dict literal (or `dict(...)`) of pool and echo settings is kept as it is; pool and echo settings and `connect_args` such as sqlite's "
        "`check_same_thread` (which aiosqlite accepts) stay. Left alone, with the reason: `autocommit=True`, "
        "`strategy=`, `SingletonThreadPool`, and `connect_args` that only the sync driver knows (`sslmode`, "
        "`connect_timeout`, `options`, ...: asyncpg spells them `ssl`, `timeout`, `server_settings`), , an "
        "engine stored on an attribute (`self.engine = create_engine(...)`), whose uses E107 does not follow, and "
        "a short-lived engine local to one function that neither returns, yields nor publishes it (a revision "
        "check on Alembic's MigrationContext, a script): it stays sync with the code that uses it."
    ),
)
SESSIONMAKER = Rule(
    code="E102", name="sync-sessionmaker", family="bootstrap",
    summary="`sessionmaker(...)` builds sync sessions",
    why=(
        "`async_sessionmaker` produces `AsyncSession`s. Objects used after `commit()` (e.g. `job.to_dict()`) "
        "would trigger implicit I/O when expired, so the async factory is created with `expire_on_commit=False`."
    ),
    before="SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)\n",
    after=(
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "\n"
        "SessionLocal = async_sessionmaker(engine, autoflush=False, expire_on_commit=False)\n"
    ),
    fixable=True,
    fix_notes=(
        "`bind=` becomes the first argument, `autocommit=False` goes, `expire_on_commit=False` is added "
        "unless given, everything else (`autoflush`, `info`, ...) stays. When this file is the module that "
        "`get-db` in [tool.sqlasync] names and it has no `get_db` yet, the async `get_db` dependency (see "
        "E105) is added after the factory, so the route handlers D101/D102 rewrite can import it. Left alone, "
        "with the reason: `scoped_session(sessionmaker(...))`, a custom `class_`, `autocommit=True`, `**options`, "
        "and a factory bound to an engine this module builds with a `create_engine()` E101 leaves (directly or "
        "through a function of the module that returns it): an `async_sessionmaker` cannot use a sync engine; likewise a factory stored on an attribute "
        "(`self.session_maker = sessionmaker(...)`). `sessionmaker` imported under that name from a module of the "
        "project (`from .core import sessionmaker`, a database module passing SQLAlchemy's on) counts as "
        "SQLAlchemy's at module level and in functions that are or become async."
    ),
)
DECLARATIVE_BASE = Rule(
    code="E103", name="declarative-base-function", family="bootstrap",
    summary="`declarative_base()` instead of a `DeclarativeBase` subclass",
    why="The 2.0 `DeclarativeBase` class supports typed `Mapped[...]` columns and the `AsyncAttrs` mixin "
        "needed to load relationships lazily under asyncio (`await obj.awaitable_attrs.rel`).",
    before="Base = declarative_base()\n",
    after="from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n",
    fixable=True,
    fix_notes=(
        "A module-level `Base = declarative_base(...)` becomes a class; `metadata=` and "
        "`type_annotation_map=` become class attributes and `cls=Mixin` a base class before "
        "`DeclarativeBase`. Legacy `Column(...)` models keep working on it unchanged. The `AsyncAttrs` mixin "
        "is added by F202 where lazily loaded relationships need `awaitable_attrs`. Both targets."
    ),
)
CREATE_ALL = Rule(
    code="E104", name="sync-create-all", family="bootstrap",
    summary="`Base.metadata.create_all(bind=engine)` / `drop_all` on a sync engine",
    why="`MetaData.create_all` is sync; on an `AsyncEngine` it must run through `AsyncConnection.run_sync`.",
    before="async def init_db():\n    Base.metadata.create_all(bind=engine)\n",
    after="async def init_db():\n    async with engine.begin() as conn:\n        await conn.run_sync(Base.metadata.create_all)\n",
    fixable=True,
    fix_notes=(
        "`create_all` and `drop_all` statements run through `conn.run_sync(...)` in `async with "
        "engine.begin() as conn:` (adjacent statements on one engine share the block; `checkfirst=` and "
        "other options are passed on). Module-level calls, and calls whose result is used, are left alone "
        "with the reason: schema creation at import time has to move into an async start-up function."
    ),
)
SYNC_GET_DB = Rule(
    code="E105", name="sync-get-db", family="bootstrap",
    summary="sync `get_db()` generator dependency",
    why=(
        "The dependency that hands sessions to request handlers must be an async generator yielding an "
        "`AsyncSession` that commits on success, rolls back on error and always closes."
    ),
    before="def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n",
    after=(
        "async def get_db():\n"
        "    async with SessionLocal() as db:\n"
        "        try:\n"
        "            yield db\n"
        "            await db.commit()\n"
        "        except Exception:\n"
        "            await db.rollback()\n"
        "            raise\n"
    ),
    fixable=True,
    fix_notes=(
        "The legacy dependency may open its session (`db = SessionLocal()` or `with SessionLocal() as db:`), "
        "yield it, and commit, roll back or close it in any try/except/finally arrangement; its name, "
        "parameters, decorators and docstring are kept and a `Generator[Session, None, None]` / "
        "`Iterator[Session]` return annotation becomes `AsyncGenerator[AsyncSession, None]` / "
        "`AsyncIterator[AsyncSession]`. A dependency that does anything else is left with the reason (its "
        "session calls too: they are part of this site). Committing on success is new behaviour for "
        "handlers that relied on uncommitted changes being discarded. A dependency whose factory is this "
        "module's `sessionmaker(...)` that E102 leaves stays sync, with that reason. A dependency that is left "
        "(it does more, a `@contextmanager` that threads and CLI commands enter) while E102 makes this module's "
        "factory async keeps a sync session: each `SessionLocal()` in it becomes "
        "`sync_session_from(SessionLocal)` (`sqlasync.compat`: a sync Session configured like the factory's, on "
        "the sync-driver twin of its engine), and what it yields stays a sync Session for its users: a function "
        "it is handed to stays sync (F107, async callers bridge it, F108), and I/O on it in this module stays "
        "sync with that reason (a user in another module that does I/O on it directly is refused by the "
        "post-condition: hand the session to a function instead)."
    ),
)
SYNC_ALEMBIC_ENV = Rule(
    code="E106", name="sync-alembic-env", family="bootstrap",
    summary="Alembic `env.py` runs migrations on a sync engine",
    why="Once the URL names an async driver, the sync `engine_from_config` env.py cannot connect; Alembic's "
        "async template runs the same migrations through `connection.run_sync(do_run_migrations)`.",
    before=(
        "from alembic import context\n"
        "from sqlalchemy import engine_from_config, pool\n"
        "\n"
        "config = context.config\n"
        "\n"
        "\n"
        "def run_migrations_online() -> None:\n"
        "    connectable = engine_from_config(\n"
        "        config.get_section(config.config_ini_section, {}),\n"
        "        prefix=\"sqlalchemy.\",\n"
        "        poolclass=pool.NullPool,\n"
        "    )\n"
        "    with connectable.connect() as connection:\n"
        "        context.configure(connection=connection, target_metadata=target_metadata)\n"
        "        with context.begin_transaction():\n"
        "            context.run_migrations()\n"
    ),
    after=(
        "import asyncio\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "\n"
        "from alembic import context\n"
        "from sqlalchemy import pool\n"
        "from sqlalchemy.engine import URL, make_url\n"
        "from sqlalchemy.ext.asyncio import async_engine_from_config\n"
        "\n"
        "\n"
        + async_url.SOURCE
        + "\n"
        "\n"
        "config = context.config\n"
        "\n"
        "\n"
        "def do_run_migrations(connection):\n"
        "    context.configure(connection=connection, target_metadata=target_metadata)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
        "\n"
        "\n"
        "async def run_async_migrations() -> None:\n"
        "    connectable = async_engine_from_config(\n"
        "        config.get_section(config.config_ini_section, {}),\n"
        "        prefix=\"sqlalchemy.\",\n"
        "        poolclass=pool.NullPool,\n"
        "        url=async_database_url(config.get_main_option(\"sqlalchemy.url\")),\n"
        "    )\n"
        "    async with connectable.connect() as connection:\n"
        "        await connection.run_sync(do_run_migrations)\n"
        "    await connectable.dispose()\n"
        "\n"
        "\n"
        "def run_migrations_online() -> None:\n"
        + textwrap.indent(alembic_env.ONLINE_BODY, "    ")
    ),
    fixable=True,
    fix_notes=(
        "The online-migration function keeps its name and runs `asyncio.run(run_async_migrations())` (on a "
        "worker thread when called from code that already runs an event loop, e.g. `command.upgrade(...)` "
        "in an async test or an application's start-up); the "
        "body of its `with connectable.connect() as connection:` block becomes `do_run_migrations(connection)` "
        "unchanged (every `context.configure(...)` argument, `render_as_batch` included), run through "
        "`await connection.run_sync(do_run_migrations)` on `async_engine_from_config(...)`, which is disposed "
        "afterwards. The URL Alembic reads (`sqlalchemy.url`, however env.py sets it) is passed through "
        "`async_database_url(...)` (see E101) at run time, imported from the application module that has it once "
        "the run is done (the database module E101 writes it into) when env.py already imports from that "
        "module's package, and written into env.py otherwise. Offline mode is untouched: it never connects. "
        "An env.py that does not follow this layout is left with the reason."
    ),
)

RULES = (CREATE_ENGINE, SESSIONMAKER, DECLARATIVE_BASE, CREATE_ALL, SYNC_GET_DB, SYNC_ALEMBIC_ENV, *ENGINE_CALL_RULES)
