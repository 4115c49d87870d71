"""F109: a test suite that runs the async engine on more than one event loop.

Every `TestClient` runs the app on an event loop of its own, and so does every async test (unless a
session-scoped async fixture keeps anyio's runner alive). An asyncpg or aiomysql connection belongs to
the loop that opened it, so a connection pooled by one test and checked out by the next fails with
"attached to a different loop" (SQLAlchemy's documentation: an engine shared between loops must not
pool). The top-most conftest.py that imports from the engine's module gains a `checkin` listener that
closes each connection as it returns to the pool, on the loop that used it. aiosqlite connections
work on any loop and stay pooled, which keeps `:memory:` databases alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import libcst as cst

from .imports import Import

ASYNC_ENGINE_FACTORIES = frozenset({
    "sqlalchemy.ext.asyncio.create_async_engine", "sqlalchemy.ext.asyncio.engine.create_async_engine",
    "sqlalchemy.ext.asyncio.async_engine_from_config", "sqlalchemy.ext.asyncio.engine.async_engine_from_config",
})
LISTENER = "close_connection_on_checkin"
MAX_REEXPORTS = 8


@dataclass(frozen=True)
class EngineHome:
    """A conftest.py to give the listener: where the engine is defined and what the conftest calls it."""

    module: str            # the module the conftest imports the engine's neighbours from
    name: str              # the engine's name in that module
    local: str | None      # the engine's name in the conftest, None when it must be imported


@dataclass(frozen=True)
class CloseOnCheckin:
    home: EngineHome


def engine_homes(index, migrated: frozenset[str]) -> dict[str, EngineHome]:
    """Top-most migrated conftest.py files that import from the module of the project's one async engine."""
    engines = [(path, name) for path, summary in index.files.items() for name, expr in summary.facts.names.items()
               if expr and expr[0] == "call" and expr[1] and expr[1][0] == "name" and expr[1][1] in ASYNC_ENGINE_FACTORIES]
    if len(engines) != 1:
        return {}
    engine = engines[0]
    conftests = sorted((p for p in index.files if PurePosixPath(p).name == "conftest.py" and p in migrated),
                       key=lambda p: len(PurePosixPath(p).parts))
    homes: dict[str, EngineHome] = {}
    for path in conftests:
        folder = PurePosixPath(path).parent
        if any(folder.is_relative_to(PurePosixPath(home).parent) for home in homes):
            continue
        home = _home(index, path, engine)
        if home is not None:
            homes[path] = home
    return homes


def _home(index, path: str, engine: tuple[str, str]) -> EngineHome | None:
    summary = index.files[path]
    if path == engine[0]:
        return EngineHome(summary.location.module, engine[1], engine[1])
    imported = [(name, expr[1]) for name, expr in summary.facts.names.items() if expr and expr[0] == "name"]
    local = next((name for name, dotted in imported if _means(index, dotted, path, engine)), None)
    # Import the engine only from a module the conftest already imports from: by then the conftest has
    # set up whatever the app reads at import time (DATABASE_URL, ...).
    module = next((dotted.rpartition(".")[0] for _, dotted in imported
                   if _means(index, f"{dotted.rpartition('.')[0]}.{engine[1]}", path, engine)), None)
    if module is None:
        return None
    return EngineHome(module, engine[1], local)


def _means(index, dotted: str, origin: str, engine: tuple[str, str], depth: int = 0) -> bool:
    """Does the dotted name `dotted`, seen from `origin`, name the engine (through re-exports)?"""
    module, _, attribute = dotted.rpartition(".")
    path = index.module_path(module, origin) if module else None
    if path is None or depth > MAX_REEXPORTS:
        return False
    if (path, attribute) == engine:
        return True
    expr = index.files[path].facts.names.get(attribute)
    return bool(expr) and expr[0] == "name" and _means(index, expr[1], path, engine, depth + 1)


def recognise(rec, module: cst.Module) -> None:
    home = rec.coloring.engine_homes().get(rec.path)
    if home is None or any(isinstance(s, cst.FunctionDef) and s.name.value == LISTENER for s in module.body):
        return
    if home.local is None and rec.summary.facts.names.get(home.name) is not None:
        rec.report("F109", module.body[0], _MESSAGE, reason=f"`{home.name}` already names something else here; "
                   f"add the listener by hand on `{home.module}.{home.name}` (see `sqlasync explain F109`)")
        return
    rec.report("F109", module.body[0], _MESSAGE + "; each connection is closed as it returns to the pool",
               fixable=True, data=CloseOnCheckin(home))


_MESSAGE = ("the tests here run the async engine on several event loops (each TestClient, each async test), and "
            "a pooled asyncpg/aiomysql connection cannot move between loops")


def owns(data: object) -> bool:
    return isinstance(data, CloseOnCheckin)


def plan(data: CloseOnCheckin, edits, module: cst.Module) -> None:
    event = edits.spell("sqlalchemy", "event", [module.body[0]])
    edits.module_edits.append(lambda updated: insert_listener(updated, data.home, event))


def insert_listener(module: cst.Module, home: EngineHome, event: str) -> cst.Module:
    """The engine's import (when missing) after the conftest's last import from its module, the listener
    before the first definition that follows."""
    body = list(module.body)
    last_import = max((i for i, statement in enumerate(body) if _imports_from(statement, home.module)), default=-1)
    if home.local is None:
        body[last_import] = _with_name(body[last_import], home.module, home.name)
    position = next((i for i in range(last_import + 1, len(body))
                     if isinstance(body[i], (cst.FunctionDef, cst.ClassDef))), len(body))
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    new = [s.with_changes(leading_lines=blank) for s in cst.parse_module(listener_source(home, event)).body]
    if position < len(body):
        body[position] = body[position].with_changes(
            leading_lines=blank + [line for line in body[position].leading_lines if line.comment is not None])
    return module.with_changes(body=[*body[:position], *new, *body[position:]])


def _with_name(statement: cst.SimpleStatementLine, module: str, name: str) -> cst.SimpleStatementLine:
    """`from module import a, b` with `name` added after the last name, in the statement's own layout."""
    small = next(s for s in statement.body if isinstance(s, cst.ImportFrom)
                 and cst.Module([]).code_for_node(s.module) == module)
    names = list(small.names)
    last = names[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    between = names[-2].comma if trailing is not None and len(names) > 1 else cst.Comma(
        whitespace_after=cst.SimpleWhitespace(" "))
    names[-1] = last.with_changes(comma=between)
    names.append(cst.ImportAlias(cst.Name(name), comma=trailing if trailing is not None else cst.MaybeSentinel.DEFAULT))
    return statement.with_changes(body=[s.with_changes(names=names) if s is small else s for s in statement.body])


def _imports_from(statement: cst.CSTNode, module: str) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                and not isinstance(small.names, cst.ImportStar) and cst.Module([]).code_for_node(small.module) == module:
            return True
    return False


def listener_source(home: EngineHome, event: str) -> str:
    engine = home.local or home.name
    return (
        f"@{event}.listens_for({engine}.sync_engine, \"checkin\")\n"
        f"def {LISTENER}(dbapi_connection, connection_record):\n"
        "    # Each TestClient and each async test runs its own event loop; an asyncpg or aiomysql connection\n"
        "    # cannot leave the loop that opened it, so none is pooled for the next one (aiosqlite can be).\n"
        f"    if {engine}.dialect.driver != \"aiosqlite\":\n"
        "        connection_record.invalidate()\n"
    )
