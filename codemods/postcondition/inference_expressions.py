"""What an expression holds: attributes, calls, subscripts, annotations (Inference)."""

from __future__ import annotations

import ast

from .inference_nodes import (ADOPT_SESSION, MAX_DEPTH, SYNC_SESSION_FROM, _decorator_name, _is_generic,
                              _literal_index, _position, _sqlalchemy_call)
from .kinds import (ASYNC_SIDE, CONTEXT_METHODS, SYNC_SIDE, ClassRef, FunctionRef, Kind, Scope, Tag, external_name,
                    own_nodes, sqlalchemy_name)
from .project import Module


class _Expressions:
    """What an expression holds: attributes, calls, subscripts, annotations (Inference)."""

    # -- expressions ------------------------------------------------------------------------------
    def expr(self, node: ast.expr, scope: Scope, depth: int = 0) -> Kind | None:
        if depth > MAX_DEPTH:
            return None
        depth += 1
        if isinstance(node, ast.Name):
            return self.name(node.id, scope, depth)
        if isinstance(node, ast.Attribute):
            if node.attr == "run_until_complete":
                return Kind(Tag.LOOP_DRIVER)
            if isinstance(node.value, ast.Name) and node.value.id == "self" and scope.owner is not None:
                attribute = self.instance_attribute(scope.owner, node.attr, depth)
                if attribute is not None:
                    return attribute
            owner = self.expr(node.value, scope, depth)
            if owner is not None and owner.tag is Tag.MAPPING:
                return Kind(Tag.MAPPING_LOOKUP, owner.ref) if node.attr in ("get", "pop", "setdefault") else None
            return self.member(owner, node.attr, depth)
        if isinstance(node, ast.Call):
            return self.call(node, scope, depth)
        if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Call):
            # `lambda coro: loop.run_until_complete(coro)` drives the loop as much as the method does.
            inner = self.expr(node.body.func, scope, depth)
            return inner if inner is not None and inner.tag is Tag.LOOP_DRIVER else None
        if isinstance(node, ast.Await):
            inner = node.value
            if isinstance(inner, ast.Call):
                callee = self.expr(inner.func, scope, depth)
                if callee is not None and callee.tag is Tag.FUNCTION and callee.ref.is_async:
                    return self.returns(callee.ref, depth)
            return None
        if isinstance(node, ast.IfExp):
            return self.agree([self.expr(node.body, scope, depth), self.expr(node.orelse, scope, depth)])
        if isinstance(node, ast.Subscript):
            # `HttpRepo[Schema, Out]`: a project class parametrised is still that class (a class subscripted
            # otherwise, an Enum's `Color["RED"]`, is not followed).
            inner = self.expr(node.value, scope, depth)
            if inner is not None and inner.tag is Tag.CLASS and _is_generic(inner.ref.node):
                return inner
            if inner is not None and inner.tag is Tag.TUPLE:
                return _position(inner, _literal_index(node.slice))
            if inner is not None and inner.tag is Tag.MAPPING:
                return inner.ref
        return None

    def call(self, node: ast.Call, scope: Scope, depth: int) -> Kind | None:
        # `Container.resolve("db_session")`: the locator's own `resolve` returns Any; its registrations do not.
        resolved = self.locators.resolved(node, scope, depth)
        if resolved is not None:
            return resolved
        callee = self.expr(node.func, scope, depth)
        if callee is None:
            return None
        name = sqlalchemy_name(callee)
        if name is not None:
            return _sqlalchemy_call(name, node, lambda n: self.expr(n, scope, depth))
        if external_name(callee) in ("flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"):
            return Kind(Tag.FLASK_SQLALCHEMY)
        if external_name(callee) in ADOPT_SESSION:
            return Kind(Tag.ASYNC_SESSION)
        if external_name(callee) in SYNC_SESSION_FROM:
            return Kind(Tag.SYNC_SESSION)
        if callee.tag is Tag.MAPPING_LOOKUP:
            return callee.ref
        if callee.tag is Tag.ASYNC_FACTORY:
            return Kind(Tag.ASYNC_SESSION)
        if callee.tag is Tag.SYNC_FACTORY:
            return Kind(Tag.SYNC_SESSION)
        if callee.tag is Tag.CLASS:
            return Kind(Tag.INSTANCE, callee.ref)
        if callee.tag is Tag.FUNCTION:
            function: FunctionRef = callee.ref
            manager = self._context_manager_side(function)
            if manager is not None:
                return Kind(Tag.ASYNC_CONTEXT if manager == "async" else Tag.SYNC_CONTEXT, function)
            if function.is_async and not function.is_generator:
                return Kind(Tag.COROUTINE, function)
            if (function.module, function.qualname) in self.coroutine_returning:
                return Kind(Tag.COROUTINE, function)
            if function.is_generator:
                return None
            return self.returns(function, depth)
        if callee.tag is Tag.EXTERNAL and isinstance(callee.ref, tuple) and callee.ref[0] == "method":
            _, receiver, method = callee.ref
            if method in CONTEXT_METHODS.get(receiver.tag, ()):
                return Kind(Tag.ASYNC_CONTEXT if receiver.side == "async" else Tag.SYNC_CONTEXT, receiver)
        return None

    def member(self, kind: Kind | None, attribute: str, depth: int) -> Kind | None:
        if kind is None or depth > MAX_DEPTH:
            return None
        if external_name(kind) in ("asyncio", "anyio", "trio") and attribute == "run":
            return Kind(Tag.LOOP_DRIVER)
        if kind.tag is Tag.MODULE:
            module: Module = kind.ref
            if attribute in module.bindings:
                return self.global_name(module, attribute, depth + 1)
            submodule = self.project.module_named(f"{module.name}.{attribute}", module.path)
            return Kind(Tag.MODULE, submodule) if submodule is not None else None
        if kind.tag in (Tag.CLASS, Tag.INSTANCE):
            found = self.class_member(kind.ref, attribute, depth)
            if found is None and kind.tag is Tag.INSTANCE:
                return self.instance_attribute(kind.ref, attribute, depth)
            return found
        if kind.tag is Tag.EXTERNAL and isinstance(kind.ref, str):
            return Kind(Tag.EXTERNAL, f"{kind.ref}.{attribute}")
        if kind.tag is Tag.ASYNC_SESSION and attribute == "sync_session":
            return Kind(Tag.SYNC_SESSION)
        if kind.tag is Tag.FLASK_SQLALCHEMY and attribute == "session":
            # Flask-SQLAlchemy's scoped session proxies a sync Session (the extension has no async one).
            return Kind(Tag.SYNC_SESSION)
        if kind.tag in ASYNC_SIDE or kind.tag in SYNC_SIDE:
            # A method of a session/engine/connection: called, it may be awaitable or a context manager.
            return Kind(Tag.EXTERNAL, ("method", kind, attribute))
        return None

    def class_member(self, cls: ClassRef, attribute: str, depth: int) -> Kind | None:
        for base in self.mro(cls, depth):
            for statement in base.node.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == attribute:
                    function = FunctionRef(base.module, f"{base.qualname}.{attribute}", statement, base.node)
                    if any(_decorator_name(d) in ("property", "cached_property") for d in statement.decorator_list):
                        # Read, a sync getter gives what it returns (`repos.users.get_one(...)`).
                        return None if isinstance(statement, ast.AsyncFunctionDef) else self.returns(function, depth)
                    return Kind(Tag.FUNCTION, function)
        return None

    def instance_attribute(self, cls: ClassRef, attribute: str, depth: int) -> Kind | None:
        """`self.attribute` as the methods of the class assign it, or else those of the first base class that
        does (a test case whose base's `__init__` keeps the repositories it is handed)."""
        for owner in self.mro(cls, depth):
            kind = self._assigned_attribute(owner, attribute)
            if kind is not None:
                return kind
        return None

    def _assigned_attribute(self, cls: ClassRef, attribute: str) -> Kind | None:
        """`self.attribute` as the class's own methods assign it (all assignments must agree).

        Memoised per class and attribute, resolved from depth 0 like a local name: a model whose methods read
        `self.x` that other methods assign from `self.y` would otherwise walk every method once per path."""
        key = (cls, attribute)
        if key in self._attributes:
            return self._attributes[key]
        self._attributes[key] = None  # an attribute assigned through itself is unknown
        assigned = self._self_assignments(cls).get(attribute, [])
        kind = self.agree([self.expr(value, scope, 0) for value, scope in assigned]) if assigned else None
        self._attributes[key] = kind
        return kind

    def _self_assignments(self, cls: ClassRef) -> dict[str, list[tuple[ast.expr, Scope]]]:
        """Each `self.attribute = value` in the class's own methods, by attribute, with the method's scope:
        one walk of the class, however many attributes are asked for."""
        if cls in self._assignments:
            return self._assignments[cls]
        table: dict[str, list[tuple[ast.expr, Scope]]] = {}
        self._assignments[cls] = table
        module = self.project.modules.get(cls.module)
        if module is None:
            return table
        module_scope = Scope(self.project, module, module.tree, None)
        for statement in cls.node.body:
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            method_scope: Scope | None = None
            for node in own_nodes(statement):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                    node, ast.AnnAssign) and node.value is not None else []
                for target in targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        method_scope = method_scope or Scope(self.project, module, statement, module_scope, cls,
                                                             f"{cls.qualname}.{statement.name}")
                        table.setdefault(target.attr, []).append((node.value, method_scope))
        return table

    def mro(self, cls: ClassRef, depth: int) -> list[ClassRef]:
        order, queue = [], [cls]
        module = self.project.modules.get(cls.module)
        while queue and len(order) < 16:
            current = queue.pop(0)
            if current in order:
                continue
            order.append(current)
            current_module = self.project.modules.get(current.module) or module
            scope = Scope(self.project, current_module, current_module.tree, None)
            for base in current.node.bases:
                kind = self.expr(base, scope, depth + 1)
                if kind is not None and kind.tag is Tag.CLASS:
                    queue.append(kind.ref)
        return order
