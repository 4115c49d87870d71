"""Small readings the inference makes of one node or binding: decorators, defaults, positions, fixtures."""

from __future__ import annotations

import ast

from .kinds import Kind, Parameter, Scope, Tag, sqlalchemy_name


# `compat.adopt_session(session)`: an AsyncSession over a sync session that sync code goes on sharing.
ADOPT_SESSION = ("sqlasync.compat.adopt_session", "sqlasync.compat.adopted.adopt_session")
# `compat.sync_session_from(SessionLocal)`: a sync Session on the sync twin of an async factory's engine.
SYNC_SESSION_FROM = ("sqlasync.compat.sync_session_from", "sqlasync.compat.sync_twin.sync_session_from")
# How deep one expression is followed before memoised names take over (a guard, not a limit in practice).
MAX_DEPTH = 40


def _sqlalchemy_call(name: str, node: ast.Call, infer) -> Kind | None:
    if name in ("async_sessionmaker", "async_scoped_session"):
        return Kind(Tag.ASYNC_FACTORY)
    if name == "scoped_session":
        # A registry of the factory it wraps: calling it gives that factory's session.
        inner = infer(node.args[0]) if node.args else None
        return inner if inner is not None and inner.tag in (Tag.SYNC_FACTORY, Tag.ASYNC_FACTORY) else None
    if name == "sessionmaker":
        class_ = next((k.value for k in node.keywords if k.arg == "class_"), None)
        if class_ is not None and sqlalchemy_name(infer(class_)) == "AsyncSession":
            return Kind(Tag.ASYNC_FACTORY)
        return Kind(Tag.SYNC_FACTORY)
    if name in ("create_async_engine", "async_engine_from_config"):
        return Kind(Tag.ASYNC_ENGINE)
    if name in ("create_engine", "engine_from_config"):
        return Kind(Tag.SYNC_ENGINE)
    if name == "AsyncSession":
        return Kind(Tag.ASYNC_SESSION)
    if name == "Session":
        return Kind(Tag.SYNC_SESSION)
    return None


def _qualname(scope: Scope, name: str) -> str:
    return f"{scope.qualname}.{name}" if scope.qualname else name


def _default_of(parameter: Parameter) -> ast.expr | None:
    arguments = parameter.function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if parameter.argument in positional:
        index = positional.index(parameter.argument) - (len(positional) - len(arguments.defaults))
        return arguments.defaults[index] if index >= 0 else None
    if parameter.argument in arguments.kwonlyargs:
        return arguments.kw_defaults[arguments.kwonlyargs.index(parameter.argument)]
    return None


def _literal_index(node: ast.expr) -> int | None:
    """The integer of `rows[2]` or `pair[-1]`, when the subscript is a literal."""
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    number = node.operand if negative else node
    if not isinstance(number, ast.Constant) or type(number.value) is not int:
        return None
    return -number.value if negative else number.value


def _position(whole: Kind, index: int | None) -> Kind | None:
    """The kind at `index` of a `tuple[...]` kind."""
    positions = whole.ref
    return positions[index] if index is not None and -len(positions) <= index < len(positions) else None


def _is_generic(cls: ast.ClassDef) -> bool:
    """Declared `Generic[...]` (or `Protocol[...]`) among its bases: subscripting it parametrises it."""
    return any(isinstance(base, ast.Subscript) and _leaf(base.value) in ("Generic", "Protocol") for base in cls.bases)


def _is_typevar(binding: object) -> bool:
    return isinstance(binding, ast.Call) and _leaf(binding.func) == "TypeVar"


def _leaf(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _decorator_name(node: ast.expr) -> str | None:
    return _leaf(node.func if isinstance(node, ast.Call) else node)


def _is_fixture(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_decorator_name(d) == "fixture" for d in function.decorator_list)


def _fixture_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and _decorator_name(decorator) == "fixture":
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return function.name
