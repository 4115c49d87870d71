"""What a name or an expression holds, as far as awaiting goes: the value kinds (inference.py infers them).

The kinds are few on purpose. Sessions, their factories, engines and connections exist in a sync and
an async variant; project functions are async (calling one makes a coroutine), sync, or sync but
returning a coroutine; classes and their instances lead to methods. Anything else is unknown, and an
unknown value is never a violation: the check reports only what it can prove.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from .project import Module, Project, Unknown, scope_bindings


class Tag(str, Enum):
    MODULE = "module"
    EXTERNAL = "external"          # a name from outside the project: ref is its dotted name
    FUNCTION = "function"          # a project function: ref is a FunctionRef
    CLASS = "class"
    # A class known only as `type[T]` of a TypeVar bound to a project class: the bound or any subclass of it.
    SUBCLASS_OF = "subclass"
    INSTANCE = "instance"
    ASYNC_FACTORY = "async_sessionmaker"
    SYNC_FACTORY = "sessionmaker"
    ASYNC_SESSION = "AsyncSession"
    SYNC_SESSION = "Session"
    ASYNC_ENGINE = "AsyncEngine"
    SYNC_ENGINE = "Engine"
    ASYNC_CONNECTION = "AsyncConnection"
    SYNC_CONNECTION = "Connection"
    ASYNC_CONTEXT = "async context manager"   # engine.connect(), session.begin() on the async side
    SYNC_CONTEXT = "sync context manager"
    COROUTINE = "coroutine"
    FLASK_SQLALCHEMY = "flask_sqlalchemy.SQLAlchemy"
    LOOP_DRIVER = "event loop driver"   # asyncio.run, loop.run_until_complete: they start a loop of their own
    TUPLE = "tuple"                # `tuple[Repo, User]`: ref is the tuple of each position's Kind (or None)
    MAPPING = "mapping"            # `dict[str, type[Migrator]]`: ref is the Kind of its values
    MAPPING_LOOKUP = "mapping lookup"   # `table.get`: calling it gives ref, one of the mapping's values


ASYNC_SIDE = {Tag.ASYNC_FACTORY, Tag.ASYNC_SESSION, Tag.ASYNC_ENGINE, Tag.ASYNC_CONNECTION}
SYNC_SIDE = {Tag.SYNC_FACTORY, Tag.SYNC_SESSION, Tag.SYNC_ENGINE, Tag.SYNC_CONNECTION}
SESSIONS = {Tag.ASYNC_SESSION, Tag.SYNC_SESSION}

# Methods of AsyncSession / AsyncEngine / AsyncConnection that return an awaitable (SQLAlchemy 2.x).
AWAITABLE_METHODS = {
    Tag.ASYNC_SESSION: frozenset({
        "close", "commit", "connection", "delete", "execute", "flush", "get", "get_one", "invalidate", "merge",
        "refresh", "rollback", "run_sync", "scalar", "scalars", "stream", "stream_scalars", "reset", "aclose",
        "close_all",
    }),
    Tag.ASYNC_ENGINE: frozenset({"dispose", "raw_connection"}),
    Tag.ASYNC_CONNECTION: frozenset({
        "close", "commit", "execute", "exec_driver_sql", "invalidate", "rollback", "run_sync", "scalar", "scalars",
        "stream", "stream_scalars", "start", "get_raw_connection",
    }),
}
# Library coroutine functions, by qualified name: calling one makes an awaitable. The migration writes them
# (F111 offloads blocking calls to a thread and turns `time.sleep` into `asyncio.sleep`), and user code has them.
AWAITABLE_FUNCTIONS = frozenset({
    "asyncio.sleep", "asyncio.to_thread", "fastapi.concurrency.run_in_threadpool",
    "starlette.concurrency.run_in_threadpool", "anyio.sleep", "anyio.to_thread.run_sync",
})
# Methods the async classes do not have at all (the sync Session's legacy surface).
MISSING_ON_ASYNC = {
    Tag.ASYNC_SESSION: frozenset({"query", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"}),
    Tag.ASYNC_ENGINE: frozenset({"execute", "table_names", "has_table"}),
}
# Methods whose result must be entered with `async with` on the async side, `with` on the sync side.
CONTEXT_METHODS = {
    Tag.ASYNC_ENGINE: frozenset({"connect", "begin"}),
    Tag.ASYNC_SESSION: frozenset({"begin", "begin_nested"}),
    Tag.ASYNC_CONNECTION: frozenset({"begin", "begin_nested"}),
    Tag.SYNC_ENGINE: frozenset({"connect", "begin"}),
    Tag.SYNC_SESSION: frozenset({"begin", "begin_nested"}),
    Tag.SYNC_CONNECTION: frozenset({"begin", "begin_nested"}),
}


@dataclass(frozen=True)
class FunctionRef:
    module: str   # file
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    owner: ast.ClassDef | None = None

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def is_generator(self) -> bool:
        return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own_nodes(self.node))


@dataclass(frozen=True)
class ClassRef:
    module: str
    qualname: str
    node: ast.ClassDef


@dataclass(frozen=True)
class Kind:
    tag: Tag
    ref: object = None

    @property
    def side(self) -> str | None:
        return "async" if self.tag in ASYNC_SIDE else "sync" if self.tag in SYNC_SIDE else None


def own_nodes(function: ast.AST):
    """Nodes of a function's body, not descending into nested functions, classes or lambdas."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


# Packages whose Session/AsyncSession/engine factories are SQLAlchemy's (or subclasses of them).
SQLALCHEMY_PACKAGES = ("sqlalchemy", "sqlmodel")


def sqlalchemy_name(kind: Kind | None) -> str | None:
    """`AsyncSession` for a name imported from SQLAlchemy as `sqlalchemy.ext.asyncio.AsyncSession`."""
    if kind is None or kind.tag is not Tag.EXTERNAL or not isinstance(kind.ref, str):
        return None
    package, _, rest = kind.ref.partition(".")
    return kind.ref.rpartition(".")[2] if package in SQLALCHEMY_PACKAGES and rest else None


def external_name(kind: Kind | None) -> str | None:
    return kind.ref if kind is not None and kind.tag is Tag.EXTERNAL and isinstance(kind.ref, str) else None


class Scope:
    """A function body (or a module, or a class body) with its bindings and its enclosing scope."""

    def __init__(self, project: Project, module: Module, node: ast.AST, parent: Scope | None,
                 owner: ClassRef | None = None, qualname: str = "") -> None:
        self.project = project
        self.module = module
        self.node = node
        self.parent = parent
        self.owner = owner
        self.qualname = qualname
        if isinstance(node, ast.Module):
            self.bindings = module.bindings
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bindings = scope_bindings(node.body, module)
            arguments = node.args
            for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                self.bindings.setdefault(argument.arg, []).append(Parameter(argument, node))
            for argument in (arguments.vararg, arguments.kwarg):
                if argument is not None:
                    self.bindings.setdefault(argument.arg, []).append(Unknown())
        elif isinstance(node, ast.Lambda):
            arguments = node.args
            self.bindings = {argument.arg: [Unknown()] for argument in (
                *arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg)
                if argument is not None}
        else:
            self.bindings = scope_bindings(getattr(node, "body", []), module)

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Parameter:
    """A function parameter: its kind comes from a dependency, a fixture or its annotation."""

    argument: ast.arg
    function: ast.FunctionDef | ast.AsyncFunctionDef


def scopes_of(project: Project, module: Module) -> Iterator[Scope]:
    """The module, every class body, every function and every lambda, each with its enclosing scope."""
    root = Scope(project, module, module.tree, None)
    yield root
    stack: list[tuple[ast.AST, Scope]] = [(child, root) for child in module.tree.body]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qualname = f"{parent.qualname}.{node.name}" if parent.qualname else node.name
            if isinstance(node, ast.ClassDef):
                scope = Scope(project, module, node, parent, ClassRef(module.path, qualname, node), qualname)
            else:
                owner = parent.owner if isinstance(parent.node, ast.ClassDef) else None
                scope = Scope(project, module, node, parent, owner, qualname)
            stack.extend((child, scope) for child in node.body)
            yield scope
            continue
        if isinstance(node, ast.Lambda):
            # Its body runs when it is called, never with `await`: a sync scope of its own.
            owner = parent.owner if isinstance(parent.node, ast.ClassDef) else None
            scope = Scope(project, module, node, parent, owner, f"{parent.qualname or '<module>'}.<lambda>")
            stack.append((node.body, scope))
            yield scope
            continue
        stack.extend((child, parent) for child in ast.iter_child_nodes(node))


def scope_nodes(scope_node: ast.AST) -> Iterator[ast.AST]:
    """The nodes a scope runs itself: a module's or class body's statements without nested scopes."""
    if isinstance(scope_node, (ast.Module, ast.ClassDef)):
        for statement in scope_node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                # Decorators and defaults run in the enclosing scope.
                yield from _walk_skipping_scopes([*statement.decorator_list, *_defaults(statement)])
                continue
            yield statement
            yield from own_nodes(statement)
        return
    yield from own_nodes(scope_node)


def _defaults(statement: ast.stmt) -> list[ast.AST]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [d for d in (*statement.args.defaults, *statement.args.kw_defaults) if d is not None]
    return []


def _walk_skipping_scopes(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    for node in nodes:
        yield node
        yield from own_nodes(node)
