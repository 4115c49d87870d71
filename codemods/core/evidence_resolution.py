"""How ReceiverEvidence resolves an expression to a session, factory, pool or connection, and why."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, QualifiedNameSource

from .nodes import _same_module_name, dotted_name, metadata_value, string_value
from .receivers import (ASYNCPG_CONNECTION_TYPES, ASYNCPG_POOL_TYPES, ASYNC_SESSION_TYPES, FLASK_SQLALCHEMY_SESSION,
                        FOREIGN_BUILTINS, FOREIGN_LIBRARIES, NEGATIVE, OBJECT_SESSION, OBJECT_SESSION_REASON,
                        SYNC_SESSION_FROM, SYNC_SESSION_TYPES, SYNC_TWIN_SESSION, TYPE_WRAPPERS, Evidence, Kind,
                        _Negative, scoped_registry_reason)


class _Resolution:
    """How ReceiverEvidence resolves an expression to a session, factory, pool or connection, and why."""

    # -- resolution ---------------------------------------------------------------------------
    def _evidence(self, expr: cst.BaseExpression, asyncpg: bool = False) -> Evidence | _Negative | None:
        if isinstance(expr, cst.Name):
            return self._name_evidence(expr, asyncpg)
        if isinstance(expr, cst.Attribute):
            return self._attribute_evidence(expr, asyncpg)
        if isinstance(expr, cst.Call):
            return self._value_evidence(expr, asyncpg)
        return None

    def _name_evidence(self, name: cst.Name, asyncpg: bool) -> Evidence | _Negative | None:
        key = id(name)
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            scope = metadata_value(self.scopes, name)
            assignments = self.bindings(scope, name.value) if scope is not None and name.value in scope else []
            verdicts = [self._assignment_evidence(a, asyncpg) for a in assignments]
        finally:
            self._in_progress.discard(key)
        positive = [v for v in verdicts if isinstance(v, Evidence)]
        if positive:
            return positive[0]
        if any(v is NEGATIVE for v in verdicts):
            return NEGATIVE
        return self._by_name(name.value, asyncpg)

    def _by_name(self, name: str, asyncpg: bool) -> Evidence | None:
        if asyncpg and name in self.config.asyncpg_names:
            kind = Kind.ASYNCPG_POOL if "pool" in name else Kind.ASYNCPG_CONNECTION
            return Evidence(kind, f"`{name}` looks like an asyncpg {kind.value.split()[-1]}", name_only=True)
        if not asyncpg and name in self.config.session_names:
            return Evidence(Kind.SYNC_SESSION, f"`{name}` is a configured session name", name_only=True)
        return None

    def _attribute_evidence(self, attr: cst.Attribute, asyncpg: bool) -> Evidence | _Negative | None:
        if isinstance(attr.value, cst.Name) and attr.value.value in ("self", "cls"):
            cls = self.enclosing(attr, cst.ClassDef)
            stored = self._self_attributes.get((id(cls), attr.attr.value)) if cls is not None else None
            if stored is not None:
                verdict = self._value_evidence(stored, asyncpg)
                if isinstance(verdict, Evidence):
                    return Evidence(verdict.kind, f"self.{attr.attr.value} = {verdict.detail}", verdict.name_only)
                if verdict is NEGATIVE:
                    return NEGATIVE
        if not asyncpg and attr.attr.value == "session" and self.is_flask_extension(attr.value):
            return Evidence(Kind.SYNC_SESSION, f"Flask-SQLAlchemy `{dotted_name(attr.value)}.session`",
                            stays_sync=FLASK_SQLALCHEMY_SESSION)
        return self._by_name(attr.attr.value, asyncpg)

    def is_flask_extension(self, expr: cst.BaseExpression) -> bool:
        """Is `expr` Flask-SQLAlchemy's extension instance as this file shows it: a name bound here to
        `SQLAlchemy(...)`, or an import whose imported name is `db` however it is reached (`db`,
        `from app import db as database`, `models.db` after `from app import models`, `m.db` after
        `import app.models as m`); the import is the weaker evidence, confirmed by the repository index where
        the Query rules need it (query/flask_models.py)."""
        if isinstance(expr, cst.Name) and self._bound_to_extension(expr):
            return True
        if not isinstance(expr, (cst.Name, cst.Attribute)) or expr not in self.qualified_names:
            return False
        names = metadata_value(self.qualified_names, expr, ())
        return bool(names) and all(
            q.source is QualifiedNameSource.IMPORT and q.name.rpartition(".")[2] == "db" for q in names)

    def _bound_to_extension(self, name: cst.Name) -> bool:
        scope = metadata_value(self.scopes, name)
        if scope is None or name.value not in scope:
            return False
        for assignment in scope[name.value]:
            if not isinstance(assignment, Assignment):
                continue
            value = self.bound_value(assignment.node)
            if isinstance(value, cst.Call) and self.qualified(value.func) & {
                "flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"
            }:
                return True
            if isinstance(assignment.node, (cst.Import, cst.ImportFrom)) and name.value == "db":
                return True
        return False

    def _assignment_evidence(self, assignment: Assignment, asyncpg: bool) -> Evidence | _Negative | None:
        node = assignment.node
        if isinstance(node, cst.Param):
            return self._param_evidence(node, asyncpg)
        parent = self.parents.get(node)
        if isinstance(parent, cst.AnnAssign):
            verdict = self._annotation_evidence(parent.annotation.annotation, asyncpg)
            if verdict is not None:
                return verdict
        if isinstance(parent, cst.AsName):
            item = self.parents.get(parent)
            if isinstance(item, cst.WithItem):
                return self._value_evidence(item.item, asyncpg, in_with=True)
            return None
        value = self.bound_value(node)
        return self._value_evidence(value, asyncpg) if value is not None else None

    def bound_value(self, target: cst.CSTNode) -> cst.BaseExpression | None:
        parent = self.parents.get(target)
        if isinstance(parent, cst.AssignTarget):
            assign = self.parents.get(parent)
            return assign.value if isinstance(assign, cst.Assign) else None
        if isinstance(parent, (cst.AnnAssign, cst.AugAssign)) and parent.target is target:
            return parent.value
        if isinstance(parent, cst.NamedExpr):
            return parent.value
        return None

    def _param_evidence(self, param: cst.Param, asyncpg: bool) -> Evidence | _Negative | None:
        if param.annotation is not None:
            verdict = self._annotation_evidence(param.annotation.annotation, asyncpg)
            if verdict is not None:
                return verdict
        if param.default is not None and not asyncpg:
            dependency = self._depends_target(param.default)
            if dependency is not None:
                return Evidence(Kind.SYNC_SESSION, f"parameter `{param.name.value}` = Depends({dependency})")
        function = self.enclosing(param, cst.FunctionDef)
        if function is not None and not asyncpg:
            for decorator in function.decorators:
                name = dotted_name(decorator.decorator.func if isinstance(decorator.decorator, cst.Call)
                                   else decorator.decorator)
                if name and name.split(".")[-1] in self.config.session_decorators and param.name.value == "session":
                    return Evidence(Kind.SYNC_SESSION, f"`session` injected by @{name}")
        return None

    def _depends_target(self, default: cst.BaseExpression) -> str | None:
        if not (isinstance(default, cst.Call) and dotted_name(default.func) in ("Depends", "fastapi.Depends")):
            return None
        if not default.args:
            return None
        target = dotted_name(default.args[0].value)
        if target and target.split(".")[-1] in self.config.get_db_names:
            return target
        return None

    def _annotation_evidence(self, annotation: cst.BaseExpression, asyncpg: bool) -> Evidence | _Negative | None:
        for candidate in self.annotation_parts(annotation):
            names = self.qualified(candidate)
            text = dotted_name(candidate) or ""
            if asyncpg:
                if names & ASYNCPG_POOL_TYPES or (not names and text in ASYNCPG_POOL_TYPES):
                    return Evidence(Kind.ASYNCPG_POOL, f"annotated {text}")
                if names & ASYNCPG_CONNECTION_TYPES or (not names and text in ASYNCPG_CONNECTION_TYPES):
                    return Evidence(Kind.ASYNCPG_CONNECTION, f"annotated {text}")
                continue
            if names & SYNC_SESSION_TYPES or (not names and text in ("Session", "orm.Session")):
                return Evidence(Kind.SYNC_SESSION, f"annotated {text}")
            if names & ASYNC_SESSION_TYPES or (not names and text == "AsyncSession"):
                return Evidence(Kind.ASYNC_SESSION, f"annotated {text}")
            alias = self.aliases.get(text)
            if alias is not None:
                inner = self._annotation_evidence(alias, asyncpg)
                if isinstance(inner, Evidence):
                    return Evidence(inner.kind, f"annotated {text} (alias of {inner.detail.removeprefix('annotated ')})")
            if text.split(".")[-1] in self.config.session_aliases:
                return Evidence(Kind.SYNC_SESSION, f"annotated {text} (configured session alias)")
            if text.split(".")[-1] in self.config.session_factories:
                # `db_session: SessionLocal` (Netflix/dispatch): the factory's name read as the type of its sessions.
                return Evidence(Kind.SYNC_SESSION, f"annotated {text} (a session factory, read as its sessions' type)")
        return NEGATIVE if not asyncpg else None

    def annotation_parts(self, annotation: cst.BaseExpression) -> list[cst.BaseExpression]:
        """`Optional[X]`, `X | None`, `Annotated[X, ...]`, `"X"` → the candidate types, outermost first."""
        if isinstance(annotation, cst.SimpleString):
            text = string_value(annotation)
            try:
                return self.annotation_parts(cst.parse_expression(text)) if text else []
            except cst.ParserSyntaxError:
                return []
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            return self.annotation_parts(annotation.left) + self.annotation_parts(annotation.right)
        if isinstance(annotation, cst.Subscript):
            head = (dotted_name(annotation.value) or "").split(".")[-1]
            if head in TYPE_WRAPPERS:
                parts: list[cst.BaseExpression] = []
                # Annotated[X, metadata...] describes X; its metadata are not types.
                elements = annotation.slice[:1] if head == "Annotated" else annotation.slice
                for element in elements:
                    if isinstance(element.slice, cst.Index):
                        parts.extend(self.annotation_parts(element.slice.value))
                return parts
        return [annotation]

    def _value_evidence(self, value: cst.BaseExpression, asyncpg: bool, in_with: bool = False) -> Evidence | _Negative | None:
        if isinstance(value, cst.Await):
            return self._value_evidence(value.expression, asyncpg, in_with)
        if isinstance(value, (cst.Name, cst.Attribute)) and not isinstance(value, cst.Call):
            if isinstance(value, cst.Name):
                return self._name_evidence(value, asyncpg)
            return self._attribute_evidence(value, asyncpg)
        if isinstance(value, (cst.BaseString, cst.Integer, cst.Float, cst.Dict, cst.List, cst.Set,
                              cst.Tuple, cst.ListComp, cst.DictComp, cst.SetComp, cst.Lambda)):
            return NEGATIVE
        if not isinstance(value, cst.Call):
            return None
        return self._asyncpg_call(value, in_with) if asyncpg else self._session_call(value)

    def scoped_registry(self, call: cst.Call) -> str | None:
        """The name of the `scoped_session` registry `call` calls (`Session()`), when it is one of the project's:
        bound at module level here, or imported from the module that binds it (config.scoped_registries)."""
        return self.registry_name(call.func) if not call.args else None

    def registry_name(self, expr: cst.BaseExpression) -> str | None:
        """`expr` when it names one of the project's `scoped_session` registries (see `scoped_registry`)."""
        if not isinstance(expr, cst.Name):
            return None
        if expr.value in self._module_registries:
            return expr.value if self._bound_at_module_only(expr) else None
        for name in self.qualified(expr):
            if any(_same_module_name(name, registry) for registry in self.config.scoped_registries or ()):
                return expr.value
        return None

    def _bound_at_module_only(self, name: cst.Name) -> bool:
        scope = metadata_value(self.scopes, name)
        assignments = self.bindings(scope, name.value) if scope is not None and name.value in scope else []
        return bool(assignments) and all(a.scope is not None and isinstance(a.scope.node, cst.Module)
                                         for a in assignments)

    def _session_call(self, call: cst.Call) -> Evidence | _Negative | None:
        registry = self.scoped_registry(call)
        if registry is not None:
            return Evidence(Kind.SYNC_SESSION, f"bound from the `scoped_session` registry {registry}()",
                            stays_sync=scoped_registry_reason(registry))
        kind = self.is_session_factory_call(call)
        if kind is not None:
            return Evidence(kind, f"bound from {dotted_name(call.func) or 'a session factory'}()")
        names = self.qualified(call.func)
        if names & OBJECT_SESSION:
            return Evidence(Kind.SYNC_SESSION, "bound from object_session()", stays_sync=OBJECT_SESSION_REASON)
        if names & SYNC_SESSION_FROM:
            return Evidence(Kind.SYNC_SESSION, "bound from sync_session_from()", stays_sync=SYNC_TWIN_SESSION)
        yielded = self._yielded_by_context_manager(call)
        if yielded is not None:
            return yielded
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "resolve" and call.args:
            key = string_value(call.args[0].value)
            if key in self.config.container_session_keys:
                return Evidence(Kind.SYNC_SESSION, f'bound from Container.resolve("{key}")')
        if dotted_name(func) == "next" and call.args and isinstance(call.args[0].value, cst.Call):
            inner = dotted_name(call.args[0].value.func)
            if inner and inner.split(".")[-1] in self.config.get_db_names:
                return Evidence(Kind.SYNC_SESSION, f"bound from next({inner}())")
        return self._foreign(call)

    def _yielded_by_context_manager(self, call: cst.Call) -> Evidence | None:
        """`with get_session() as session:` where this module's `@contextmanager def get_session()` yields a
        session that stays sync (see SYNC_TWIN_SESSION): so does the entered one."""
        if not isinstance(call.func, cst.Name):
            return None
        scope = metadata_value(self.scopes, call.func)
        assignments = self.bindings(scope, call.func.value) if scope is not None and call.func.value in scope else []
        functions = [a.node for a in assignments if isinstance(a.node, cst.FunctionDef)]
        if len(functions) != 1 or len(assignments) != 1 or not any(
                self.qualified(d.decorator) & {"contextlib.contextmanager"} for d in functions[0].decorators):
            return None
        yields = [y for y in m.findall(functions[0].body, m.Yield(value=m.Name())) if self.enclosing(y, cst.FunctionDef)
                  is functions[0]]
        verdicts = [self._name_evidence(y.value, False) for y in yields]
        if not verdicts or not all(isinstance(v, Evidence) and v.stays_sync is not None for v in verdicts):
            return None
        return Evidence(Kind.SYNC_SESSION, f"entered from {call.func.value}(), which yields a session that stays "
                        "sync", stays_sync=f"it comes from `{call.func.value}()`, which stays sync and yields a sync "
                        "Session: its I/O stays sync")

    def _asyncpg_call(self, call: cst.Call, in_with: bool) -> Evidence | _Negative | None:
        names = self.qualified(call.func)
        if names & {"asyncpg.create_pool", "asyncpg.pool.create_pool"}:
            return Evidence(Kind.ASYNCPG_POOL, "bound from asyncpg.create_pool()")
        if names & {"asyncpg.connect", "asyncpg.connection.connect"}:
            return Evidence(Kind.ASYNCPG_CONNECTION, "bound from asyncpg.connect()")
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "acquire":
            pool = self._evidence(func.value, asyncpg=True)
            if isinstance(pool, Evidence) and pool.kind is Kind.ASYNCPG_POOL:
                return Evidence(Kind.ASYNCPG_CONNECTION, f"acquired from {dotted_name(func.value) or 'a pool'}",
                                pool.name_only)
        if isinstance(func, cst.Attribute) and func.attr.value in ("connect", "begin", "acquire"):
            return NEGATIVE
        return self._foreign(call)

    def _foreign(self, call: cst.Call) -> _Negative | None:
        names = self.qualified(call.func)
        if any(n.split(".")[0] in FOREIGN_LIBRARIES for n in names):
            return NEGATIVE
        if dotted_name(call.func) in FOREIGN_BUILTINS:
            return NEGATIVE
        return None
