"""The rules of E107/E108: code that uses the engine itself, and `inspect(engine)`."""

from __future__ import annotations

from ..core.rule import Rule


ENGINE_METHODS = Rule(
    code="E107", name="async-engine-call", family="bootstrap",
    summary="method of the engine that becomes async called the sync way (`engine.dispose()`, `engine.connect()`)",
    why=(
        "Once the engine comes from `create_async_engine()`, `dispose()` returns a coroutine: called without "
        "`await` it does nothing (\"coroutine was never awaited\") and the pool's connections stay open. "
        "`connect()` and `begin()` are async context managers, and the 1.x `engine.execute()` is gone."
    ),
    before=(
        "from app.database import engine\n"
        "\n"
        "\n"
        "def pytest_sessionfinish(session, exitstatus):\n"
        "    engine.dispose()\n"
        "\n"
        "\n"
        "async def close_db():\n"
        "    engine.dispose()\n"
    ),
    after=(
        "import asyncio\n"
        "\n"
        "from app.database import engine\n"
        "\n"
        "\n"
        "def pytest_sessionfinish(session, exitstatus):\n"
        "    asyncio.run(engine.dispose())\n"
        "\n"
        "\n"
        "async def close_db():\n"
        "    await engine.dispose()\n"
    ),
    fixable=True,
    fix_notes=(
        "`engine.dispose()` is awaited where the function is or becomes async (F101 then awaits its callers). "
        "In a sync function that is called by something that never awaits and with no event loop running — "
        "a pytest hook (`pytest_sessionfinish`, `pytest_unconfigure`, ...) or an `atexit` handler — it runs "
        "as `asyncio.run(engine.dispose())` (and `import asyncio` is added). Left with the reason: a call in "
        "a function that must stay sync for another reason (a property, a Celery task, module level, a "
        "script's `__main__` block: dispose at the end of the async `main()` instead). `with engine.connect() as "
        "conn:` and `with engine.begin() as conn:` become `async with`, and the connection's I/O calls in the "
        "block (`execute`, `scalar`, `scalars`, `exec_driver_sql`, `commit`, `rollback`, `run_sync`, ...) are "
        "awaited; a connection used any other way (passed on, kept, read as an attribute, used after the "
        "block) is left with the reason, as are `raw_connection()`, and the 1.x `engine.execute()`/`scalar()`/`table_names()`/`has_table()` that "
        "SQLAlchemy 2 no longer has. A connection passed as the first argument to a function of the same module "
        "that stays sync (`setup_triggers(conn, tables)`) runs it as it is on the connection's sync face: "
        "`await conn.run_sync(setup_triggers, tables)`; when such a function hands the connection on to code "
        "outside the module or runs driver-level SQL (`exec_driver_sql`, the DBAPI connection), which may be "
        "written for the sync driver (its paramstyle, several statements in one call), the whole block stays a "
        "sync `with` on the engine's sync-driver twin instead: `with sync_twin(engine).connect() as conn:` "
        "(`sqlasync.compat`), the driver it had. Several blocks of one function may bind the same name "
        "(`with engine.begin() as connection:` twice). The engine is a name bound to `create_engine(...)` that "
        "E101 converts or to `create_async_engine(...)`, a name in `engine-names` imported from the database "
        "module (one whose last part is `database`, `db`, `session` or `engine`, or that the file imports the "
        "session factory or `get_db` from), or a parameter annotated `Engine` of a function that is or becomes "
        "async (`def init_database(engine: Engine)`): its callers await it and hand it the project's engine, so "
        "the annotation becomes `AsyncEngine` and its uses are converted like the others; the post-condition "
        "refuses the run if a caller hands it a sync engine. A function whose body does I/O through such a "
        "parameter becomes async with it (F101); one that does not (reads `engine.url`) stays sync and keeps its "
        "annotation. A pytest fixture handing out `engine.connect()` (`yield engine.connect()`, `conn = "
        "engine.connect(); yield conn`) becomes `async with engine.connect() as conn: yield conn` as D105 "
        "describes, only together with its users, and only while none of them calls the connection's I/O "
        "methods without `await` (sqlasync does not follow the connection into them). `Session.configure(bind="
        "engine)` on a `scoped_session` registry of the project (which E102 leaves sync, with the factory_boy "
        "factories that share it) becomes `Session.configure(bind=sync_twin(engine))`: `sqlasync.compat.sync_twin` "
        "is the engine itself while it is sync and its sync-driver twin (same URL, same execution options) once "
        "it is async, so the registry's sessions can still run their queries; `engine.execution_options(...)` of "
        "the engine, directly or through a name bound once, counts as the engine."
    ),
)
INSPECT_ENGINE = Rule(
    code="E108", name="inspect-async-engine", family="bootstrap",
    summary="`inspect(engine)` on the engine that becomes async (runtime inspection needs a sync connection)",
    why=(
        "`sqlalchemy.inspect()` cannot inspect an `AsyncEngine` (`NoInspectionAvailable`): the `Inspector` does "
        "sync I/O, so it must run on the sync connection that `AsyncConnection.run_sync()` hands to a function."
    ),
    before=(
        "from sqlalchemy import inspect\n"
        "\n"
        "from app.database import engine\n"
        "\n"
        "\n"
        "async def table_names():\n"
        "    return set(inspect(engine).get_table_names())\n"
    ),
    after=(
        "from sqlalchemy import inspect\n"
        "\n"
        "from app.database import engine\n"
        "\n"
        "\n"
        "async def table_names():\n"
        "    async with engine.connect() as conn:\n"
        "        return set(\n"
        "            await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())\n"
        "        )\n"
    ),
    fixable=True,
    fix_notes=(
        "Each `inspect(engine).method(...)` becomes `await conn.run_sync(lambda sync_conn: "
        "inspect(sync_conn).method(...))`, and the statement holding it runs inside `async with engine.connect() "
        "as conn:` (one block per statement; the method and its arguments are kept as written). An inspector "
        "kept in a variable (`insp = inspect(engine)`) and used by later statements gets one block from its "
        "binding to its last use, each `insp.method(...)` becoming such a `run_sync` call. The function becomes "
        "async through F101, and its callers await it (sync tests become async tests). Left with the reason: "
        "an inspector passed on, returned or stored elsewhere, one used in a compound statement's header "
        "(`if inspect(engine).has_table(...):`), and sites where `await` cannot go."
    ),
)

RULES = (ENGINE_METHODS, INSPECT_ENGINE)
