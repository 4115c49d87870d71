"""F109: a test suite that runs the async engine on more than one event loop.

Every `TestClient` runs the app on an event loop of its own, and so does every async test (unless a
session-scoped async fixture keeps anyio's runner alive). An asyncpg or aiomysql connection belongs to
the loop that opened it, so a connection pooled by one test and checked out by the next fails with
"attached to a different loop" (SQLAlchemy's documentation: an engine shared between loops must not
pool). The top-most conftest.py of each test tree gains a `checkin` listener on every pool that closes
such a connection as it returns, on the loop that used it. It names no engine, so it also covers
projects with several engines and conftests that import the app lazily; aiosqlite connections work
on any loop and stay pooled (a `:memory:` database lives in its connection).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import libcst as cst

ASYNC_ENGINE_FACTORIES = frozenset({
    "sqlalchemy.ext.asyncio.create_async_engine", "sqlalchemy.ext.asyncio.engine.create_async_engine",
    "sqlalchemy.ext.asyncio.async_engine_from_config", "sqlalchemy.ext.asyncio.engine.async_engine_from_config",
})
LISTENER = "close_connection_on_checkin"


@dataclass(frozen=True)
class CloseOnCheckin:
    """Give the module the pool listener."""


def engine_homes(index, migrated: frozenset[str]) -> set[str]:
    """The top-most migrated conftest.py of each test tree, when a module this run migrates builds an async engine
    (its facts are those of the module as the other families leave it; a cut of the tests alone keeps the engine)."""
    if not any(expr and expr[0] == "name" and expr[1] in ASYNC_ENGINE_FACTORIES
               for path, summary in index.files.items() if path in migrated
               for expr in summary.facts.names.values()):
        return set()
    return set(top_conftests(p for p in index.files if p in migrated))


def top_conftests(paths) -> list[str]:
    """The conftest.py among `paths` that no other one among them sits above: one per test tree."""
    conftests = sorted((p for p in paths if PurePosixPath(p).name == "conftest.py"),
                       key=lambda p: len(PurePosixPath(p).parts))
    tops: list[str] = []
    for path in conftests:
        if not any(PurePosixPath(path).parent.is_relative_to(PurePosixPath(top).parent) for top in tops):
            tops.append(path)
    return tops


def recognise(rec, module: cst.Module) -> None:
    if rec.path not in rec.coloring.engine_homes() or not module.body \
            or any(isinstance(s, cst.FunctionDef) and s.name.value == LISTENER for s in module.body):
        return
    rec.report("F109", module.body[0], "the tests here run the async engine on several event loops (each "
               "TestClient, each async test), and a pooled asyncpg/aiomysql connection cannot move between "
               "loops; each one is closed as it returns to the pool", fixable=True, data=CloseOnCheckin())


def owns(data: object) -> bool:
    return isinstance(data, CloseOnCheckin)


def plan(data: CloseOnCheckin, edits, module: cst.Module) -> None:
    event = edits.spell("sqlalchemy", "event", [module.body[0]])
    pool = edits.spell("sqlalchemy.pool", "Pool", [module.body[0]])
    edits.module_edits.append(lambda updated: _insert_listener(updated, event, pool))


def listener_source(event: str, pool: str) -> str:
    return (
        f"@{event}.listens_for({pool}, \"checkin\")\n"
        f"def {LISTENER}(dbapi_connection, connection_record):\n"
        "    # Each TestClient and each async test runs its own event loop, and an asyncpg or aiomysql\n"
        "    # connection cannot leave the loop that opened it: none is pooled for the next one.\n"
        "    driver = type(connection_record.driver_connection).__module__.partition(\".\")[0]\n"
        "    if driver in (\"asyncpg\", \"aiomysql\"):\n"
        "        connection_record.invalidate()\n"
    )


def _insert_listener(module: cst.Module, event: str, pool: str) -> cst.Module:
    """Before the first definition, or the first call run at import (`asyncio.run(main())`, which may already
    open pooled connections), that follows the module's imports."""
    body = list(module.body)
    last_import = max((i for i, statement in enumerate(body) if _is_import(statement)), default=-1)
    position = next((i for i in range(last_import + 1, len(body))
                     if isinstance(body[i], (cst.FunctionDef, cst.ClassDef)) or _is_call_statement(body[i])), len(body))
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    new = [s.with_changes(leading_lines=blank) for s in cst.parse_module(listener_source(event, pool)).body]
    if position < len(body):
        body[position] = body[position].with_changes(
            leading_lines=blank + [line for line in body[position].leading_lines if line.comment is not None])
    return module.with_changes(body=[*body[:position], *new, *body[position:]])


def _is_call_statement(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) for small in statement.body)


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body)
