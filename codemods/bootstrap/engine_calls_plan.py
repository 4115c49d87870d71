"""What E107/E108 recognise as the engine, and what their rewrite does to each site."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


ENGINE_BUILDERS = frozenset({"sqlalchemy.create_engine", "sqlalchemy.engine.create_engine",
                             "sqlalchemy.engine.create.create_engine"})
ASYNC_ENGINE_BUILDERS = frozenset({"sqlalchemy.ext.asyncio.create_async_engine",
                                   "sqlalchemy.ext.asyncio.engine.create_async_engine"})
INSPECT = ("sqlalchemy.inspect", "sqlalchemy.inspection.inspect")
ENGINE_TYPES = frozenset({"sqlalchemy.Engine", "sqlalchemy.engine.Engine", "sqlalchemy.engine.base.Engine"})
# Modules whose `engine` is the database engine, whatever else the file imports from them.
DATABASE_MODULES = frozenset({"database", "db", "session", "sessions", "engine", "engines"})
CONTEXT_METHODS = frozenset({"connect", "begin"})
GONE_METHODS = frozenset({"execute", "scalar", "table_names", "has_table", "run_callable", "transaction"})
# Called by code that never awaits, when no event loop runs: a coroutine can only go through asyncio.run().
EXIT_DECORATORS = frozenset({"atexit.register"})
CONSUMERS = frozenset({"run", "create_task", "gather", "ensure_future", "wait_for", "shield", "run_until_complete"})


@dataclass(frozen=True)
class AwaitEngineCall:
    call: cst.Call
    parenthesize: bool


@dataclass(frozen=True)
class RunOnConnection:
    """`helper(conn, *args)`, a sync function of the module handed the connection → `await conn.run_sync(helper,
    *args)`: the helper keeps its sync body and runs on the sync face of the async connection."""

    call: cst.Call
    connection: str
    parenthesize: bool


@dataclass(frozen=True)
class ConnectionBlock:
    """`with engine.connect() as conn:` → `async with`, awaiting the connection's I/O calls in the block."""

    statement: cst.With
    awaits: tuple[AwaitEngineCall, ...]
    runs: tuple[RunOnConnection, ...] = ()


@dataclass(frozen=True)
class AsyncEngineAnnotation:
    """`engine: Engine` → `engine: AsyncEngine` on a parameter of a function that is or becomes async."""

    annotation: cst.BaseExpression


@dataclass(frozen=True)
class RunEngineCall:
    """`asyncio.run(engine.dispose())` in a sync entry point."""

    call: cst.Call


@dataclass(frozen=True)
class InspectSite:
    """`inspect(engine).method(...)` → `await conn.run_sync(lambda sync_conn: inspect(sync_conn).method(...))`,
    with `statement` (or, for an inspector variable, the statements from `statement` to `last`) inside
    `async with engine.connect() as conn:`."""

    statement: cst.SimpleStatementLine
    uses: tuple[cst.Call, ...]
    engine: str
    connection: str
    sync_connection: str
    inspect: str
    # Uses that are the receiver of something (`inspect(e).get_columns(t)[0]`): the await goes in parentheses.
    parenthesized: frozenset[int] = frozenset()
    last: cst.BaseStatement | None = None


@dataclass(frozen=True)
class SyncTwinConnection:
    """`with engine.connect() as conn:` whose connection only goes to sync helpers that hand it on to code sqlasync
    does not see (or run driver-level SQL): `with sync_twin(engine).connect() as conn:`, the sync driver as before."""

    engine: cst.BaseExpression


@dataclass(frozen=True)
class RegistryBind:
    """`bind=engine` of a sync `scoped_session` registry becomes `bind=sync_twin(engine)`: the sync-driver engine
    on the same database (sqlasync.compat.sync_twin), the engine itself while it is still sync."""

    bind: cst.BaseExpression
