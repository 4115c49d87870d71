"""Where an ORM object in a function came from: the statement that loaded it, and whether that loads a relationship
eagerly (F201, lazy_loads.py and lazy_escapes.py)."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, ComprehensionScope, FunctionScope

from ..core.nodes import metadata_value
from ..core.orm_statements import Loaded, loaded_by, loader_targets

MAX_SOURCE_DEPTH = 12


@dataclass(frozen=True)
class EagerLoad:
    """Add `selectinload(<model>.<relationship>)` to the statement that loads the object."""

    loaded: Loaded
    relationship: str


def sources(rec, expr: cst.BaseExpression, depth: int = 0):
    """The expressions a value came from inside its function: bindings of names, loop iterables, receivers."""
    if depth > MAX_SOURCE_DEPTH:
        return
    if isinstance(expr, cst.Await):
        expr = expr.expression
    yield expr
    if isinstance(expr, cst.Name):
        for value in _bindings(rec, expr):
            yield from sources(rec, value, depth + 1)
    elif isinstance(expr, cst.Attribute):
        yield from sources(rec, expr.value, depth + 1)
    elif isinstance(expr, cst.Subscript):
        yield from sources(rec, expr.value, depth + 1)
    elif isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
                "first", "one", "one_or_none", "all", "scalar_one", "scalars", "unique"):
            yield from sources(rec, expr.func.value, depth + 1)
        for arg in expr.args:
            if isinstance(arg.value, cst.Name):  # a statement kept in a variable: `db.scalars(stmt)`
                yield from sources(rec, arg.value, depth + 1)


def _bindings(rec, name: cst.Name) -> list[cst.BaseExpression]:
    scope = metadata_value(rec.evidence.scopes, name)
    if not isinstance(scope, (FunctionScope, ComprehensionScope)) or name.value not in scope:
        return []
    values = []
    for assignment in scope[name.value]:
        if not isinstance(assignment, Assignment) or not isinstance(assignment.scope, (FunctionScope,
                                                                                       ComprehensionScope)):
            continue
        node = assignment.node
        parent = rec.evidence.parent(node)
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
            values.append(parent.iter)
            continue
        value = rec.evidence.bound_value(node)
        if value is not None:
            values.append(value)
    return values


def loads(rec, source: cst.BaseExpression, name: str) -> bool:
    """Does `source` load relationship `name` eagerly: loader options in it, or in the function it calls?"""
    if not isinstance(source, cst.Call):
        return False
    if name in loader_targets(source):
        return True
    entity = rec.coloring.index.resolve(rec.scanner.expr(source.func), rec.path)
    if entity is not None and entity[0] == "function":
        facts = rec.coloring.index.function((entity[1], entity[2]))
        return facts is not None and name in facts.eager_loads
    return False


def origin(rec, expr: cst.BaseExpression) -> Loaded | None:
    for source in sources(rec, expr):
        if isinstance(source, cst.Call):
            loaded = loaded_by(source, rec.scanner.is_session, rec.scanner.bound_values)
            if loaded is not None:
                return loaded
    return None
