"""Service locators: what `Container.resolve("db_session")` hands out is what was registered under that key.

The registration (`Container.register_factory("db_session", lambda: SessionLocal())`, usually in a bootstrap
module) and the users (`db = Container.resolve("db_session")` in services and routes) never name each other,
and the locator's own `resolve` returns `Any`. So when a run makes `SessionLocal` async and leaves a user
sync, only the key connects the user's `db.query(...)` to the factory that changed side. The locator is read
by the same method names the D102 and D104 rules recognise, with a literal key; what a registration makes is
inferred like any other expression, so the kind follows the factory through every run.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .kinds import Kind, Scope, Tag, scope_nodes, scopes_of

if TYPE_CHECKING:
    from .inference import Inference

# resolve() calls what was registered with these, and hands out what the call makes.
FACTORY_REGISTRATIONS = frozenset({"register_factory"})
# resolve() hands out the registered object itself.
INSTANCE_REGISTRATIONS = frozenset({"register_singleton"})
RESOLVERS = frozenset({"resolve"})

# (the locator, the key) -> each registration's kind.
Table = dict[tuple[object, str], list["Kind | None"]]


def keyed_call(call: ast.Call, methods: frozenset[str]) -> tuple[ast.expr, str] | None:
    """`locator.method("key", ...)` with `method` among `methods`: the locator expression and the key."""
    if (isinstance(call.func, ast.Attribute) and call.func.attr in methods and call.args
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        return call.func.value, call.args[0].value
    return None


def locator_identity(kind: Kind | None) -> object | None:
    """What makes two receivers the same locator: the project class (called on the class or on an instance
    of it), or the dotted name of a library's locator. Anything else is not followed."""
    if kind is None:
        return None
    if kind.tag in (Tag.CLASS, Tag.INSTANCE):
        return kind.ref
    if kind.tag is Tag.EXTERNAL and isinstance(kind.ref, str):
        return kind.ref
    return None


class Locators:
    """The registrations of one project, read once, when the first `resolve(...)` is met."""

    def __init__(self, inference: Inference) -> None:
        self.inference = inference
        self._table: Table | None = None

    def resolved(self, call: ast.Call, scope: Scope, depth: int) -> Kind | None:
        """What `locator.resolve("key")` hands out, when every registration of that key agrees on it."""
        found = keyed_call(call, RESOLVERS)
        if found is None:
            return None
        receiver, key = found
        identity = locator_identity(self.inference.expr(receiver, scope, depth + 1))
        if identity is None:
            return None
        kinds = self._registrations().get((identity, key))
        return self.inference.agree(kinds) if kinds else None

    def unregistered(self, call: ast.Call, scope: Scope) -> str | None:
        """The key of `locator.resolve("key")` when the project registers other keys on that locator but
        not this one any more: the resolve raises at run time. (A locator the project never registers
        anything on is filled elsewhere, and says nothing.)"""
        found = keyed_call(call, RESOLVERS)
        if found is None:
            return None
        receiver, key = found
        identity = locator_identity(self.inference.expr(receiver, scope))
        if identity is None:
            return None
        keys = {registered for located, registered in self._registrations() if located == identity}
        return key if keys and key not in keys else None

    def _registrations(self) -> Table:
        if self._table is None:
            # A factory that itself resolves a key reads an empty table (unknown), not this one half-built.
            self._table = {}
            self._table = self._read()
        return self._table

    def _read(self) -> Table:
        table: Table = {}
        methods = FACTORY_REGISTRATIONS | INSTANCE_REGISTRATIONS
        for module in self.inference.project.modules.values():
            if not any(isinstance(node, ast.Call) and keyed_call(node, methods) for node in ast.walk(module.tree)):
                continue
            for scope in scopes_of(self.inference.project, module):
                for node in scope_nodes(scope.node):
                    if isinstance(node, ast.Call) and len(node.args) >= 2 and keyed_call(node, methods):
                        receiver, key = keyed_call(node, methods)
                        identity = locator_identity(self.inference.expr(receiver, scope))
                        if identity is not None:
                            table.setdefault((identity, key), []).append(self._handed_out(node, scope))
        return table

    def _handed_out(self, registration: ast.Call, scope: Scope) -> Kind | None:
        value = registration.args[1]
        if registration.func.attr in INSTANCE_REGISTRATIONS:
            return self.inference.expr(value, scope)
        if isinstance(value, ast.Lambda):
            if value.args.args or value.args.posonlyargs or value.args.kwonlyargs:
                return None  # resolve() calls the factory with no arguments
            # A lambda without parameters reads its names in the scope it is written in.
            return self.inference.expr(value.body, scope)
        return self.inference.expr(ast.Call(func=value, args=[], keywords=[]), scope)
