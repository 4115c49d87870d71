"""The module's functions and classes: roles, decorators, parameters, returns, attributes (ModuleScanner)."""

from __future__ import annotations

import libcst as cst

from ..core.nodes import dotted_name, string_value
from ..core.functions import own_nodes as _own_nodes, qualname_of
from ..core.orm_statements import loader_targets
from .facts import (CACHE_DECORATORS, CELERY_DECORATORS, CONTEXT_MANAGER_DECORATORS, CONTEXT_METHODS,
                    DUNDERS_ALLOWED_ASYNC, FIXTURE_DECORATORS, FLASK_VIEW_CLASSES, HANDLER_DECORATORS,
                    HARMLESS_DECORATORS, HTTP_METHODS, ORM_EVENT_DECORATORS, PROPERTY_DECORATORS, ROUTE_METHODS,
                    ROUTE_OWNERS, ClassFacts, Expr, FunctionFacts, Relationship)
from .scan_nodes import _all_params, _backref_name, _class_binding, _required_field, _self_assignments, _yields


class _Definitions:
    """The module's functions and classes: roles, decorators, parameters, returns, attributes (ModuleScanner)."""

    # -- definitions ------------------------------------------------------------------------------
    def function_facts(self, node: cst.FunctionDef) -> FunctionFacts:
        qualname = qualname_of(node, self.parents)
        class_qualname = self._class_of(node)
        decorators = tuple(self._decorator_name(d) for d in node.decorators)
        role, fixture_name, fixture_scope = self._role(node, decorators, class_qualname)
        params = tuple((p.name.value, self._param_type(p, node, class_qualname, role))
                       for p in _all_params(node.params))
        returns = self.annotation(node.returns.annotation) if node.returns is not None else self._returned(node)
        value = self._handed_out(node) if role in ("fixture", "contextmanager") else None
        blocker, sync_entry = self._blocker(node, decorators, class_qualname, role)
        return FunctionFacts(
            qualname=qualname, name=node.name.value, line=self.line_of(node),
            is_async=node.asynchronous is not None, is_generator=_yields(node),
            class_qualname=class_qualname, blocker=blocker, sync_entry=sync_entry,
            takes_session=any(self.evidence.session(p.name) is not None for p in _all_params(node.params)),
            role=role, params=params, returns=returns, value=value, fixture_name=fixture_name,
            fixture_scope=fixture_scope,
            decorators=decorators, eager_loads=frozenset(loader_targets(node.body)),
        )

    def _class_of(self, function: cst.FunctionDef) -> str | None:
        """The qualname of the class `function` is a method of, if it is one."""
        block = self.parents.get(function)
        owner = self.parents.get(block) if isinstance(block, cst.IndentedBlock) else None
        return qualname_of(owner, self.parents) if isinstance(owner, cst.ClassDef) else None

    def _decorator_name(self, decorator: cst.Decorator) -> str:
        target = decorator.decorator
        call = isinstance(target, cst.Call)
        func = target.func if isinstance(target, cst.Call) else target
        qualified = self._qualified(func)
        return (qualified or dotted_name(func) or "?") + ("()" if call else "")

    def _qualified(self, node: cst.BaseExpression) -> str | None:
        expr = self.expr(node)
        return expr[1].removeprefix("builtins.") if expr is not None and expr[0] == "name" else None

    def _role(self, node: cst.FunctionDef, decorators: tuple[str, ...], class_qualname: str | None):
        for decorator in node.decorators:
            target = decorator.decorator
            func = target.func if isinstance(target, cst.Call) else target
            qualified = self._qualified(func) or dotted_name(func) or ""
            if qualified in FIXTURE_DECORATORS:
                return ("fixture", self._fixture_argument(target, "name") or node.name.value,
                        self._fixture_argument(target, "scope"))
            if qualified in CONTEXT_MANAGER_DECORATORS and node.asynchronous is None and len(node.decorators) == 1:
                return "contextmanager", None, None
            if isinstance(func, cst.Attribute) and isinstance(target, cst.Call):
                if func.attr.value in ROUTE_METHODS and self._routes_owner(func.value) and not self._flask_module():
                    return "route", None, None
                if func.attr.value in HANDLER_DECORATORS and self._routes_owner(func.value):
                    return "handler", None, None
        if class_qualname is not None and node.name.value in CONTEXT_METHODS and not node.decorators \
                and node.asynchronous is None:
            return "context-method", None, None
        in_test_scope = class_qualname is None or class_qualname.split(".")[-1].startswith("Test")
        if self.facts.is_test_module and node.name.value.startswith("test") and in_test_scope:
            parent = self.parents.get(node)
            if isinstance(parent, cst.IndentedBlock):
                parent = self.parents.get(parent)
            if isinstance(parent, (cst.Module, cst.ClassDef)):
                return "test", None, None
        return None, None, None

    def _fixture_argument(self, decorator: cst.BaseExpression, keyword: str) -> str | None:
        """A string argument of `@pytest.fixture(...)`: `name=` or `scope=`."""
        if isinstance(decorator, cst.Call):
            for arg in decorator.args:
                if arg.keyword is not None and arg.keyword.value == keyword:
                    return string_value(arg.value)
        return None

    def _routes_owner(self, receiver: cst.BaseExpression) -> bool:
        """`@router.get(...)`: the receiver is an APIRouter/FastAPI instance, or named like one."""
        expr = self.expr(receiver)
        if expr is not None and expr[0] == "name" and expr[1].startswith(self.module_name + "."):
            expr = self.facts.names.get(expr[1][len(self.module_name) + 1:])
        if expr is not None and expr[0] == "call" and expr[1] is not None and expr[1][0] == "name":
            return expr[1][1] in ROUTE_OWNERS or expr[1][1].rsplit(".", 1)[-1] in ("APIRouter", "FastAPI", "Starlette")
        name = (dotted_name(receiver) or "").split(".")[-1]
        return name in ("app", "router", "api") or name.endswith(("_router", "_app"))

    def _blocker(self, node: cst.FunctionDef, decorators: tuple[str, ...], class_qualname: str | None,
                 role: str | None) -> tuple[str | None, bool]:
        """Why the function may never become async, if something local says so, and whether that reason is a
        decorator that wraps a sync callable: then the function can stay a sync entry point whose body runs
        async (FunctionFacts.sync_entry)."""
        name = node.name.value
        if name.startswith("__") and name.endswith("__") and name not in DUNDERS_ALLOWED_ASYNC \
                and role != "context-method":
            return f"`{name}` is called implicitly by Python, which never awaits it", False
        if class_qualname is None and self.evidence.is_alembic_revision():
            return ("an Alembic revision runs synchronously on the connection `op.get_bind()` hands it (the async "
                    "env runs migrations through `run_sync`): Alembic never awaits upgrade()/downgrade()"), False
        for decorator in decorators:
            bare = decorator.removesuffix("()")
            last = bare.rsplit(".", 1)[-1]
            if bare in PROPERTY_DECORATORS or last in ("setter", "getter", "deleter", "cached_property"):
                return "a @property is read as an attribute, which cannot be awaited", False
            if bare in CACHE_DECORATORS:
                return f"@{bare} would cache the coroutine object, not its result", False
            if bare in CONTEXT_MANAGER_DECORATORS:
                if role == "contextmanager":
                    continue  # it becomes an @asynccontextmanager entered with `async with` (see the solver)
                return ("a @contextmanager generator with other decorators is entered with `with`; convert it by "
                        "hand"), False
            if bare in CELERY_DECORATORS or (last == "task" and "." in bare):
                return "a Celery task runs in a sync worker", True
            if bare in ORM_EVENT_DECORATORS:
                return ("an SQLAlchemy event listener runs synchronously inside the operation that fires it (a flush, "
                        "a connect), on that operation's own connection"), False
            if bare in HARMLESS_DECORATORS or bare in FIXTURE_DECORATORS or bare.startswith("pytest.mark."):
                continue
            if role in ("route", "handler") and last in ROUTE_METHODS | HANDLER_DECORATORS:
                continue
            if last in ROUTE_METHODS and self._flask_module():
                return ("Flask calls its views synchronously (an `async def` view runs on a new event loop per "
                        "request, which an async engine's pool cannot share)"), False
            return f"decorated by @{bare}, which may not accept a coroutine function", True
        if class_qualname is not None and name in HTTP_METHODS:
            view_class = self._flask_view_base(node)
            if view_class is not None:
                return (f"{view_class} calls `{name}()` synchronously (a Flask view method cannot be a "
                        "coroutine)"), False
        return None, False

    def _flask_module(self) -> bool:
        """A module that imports Flask and neither FastAPI nor Starlette: its `@x.route`s are Flask views."""
        if self._flask is None:
            self._flask = self._imports_flask_only()
        return self._flask

    def _imports_flask_only(self) -> bool:
        imported = {(dotted_name(small.module) or "") if isinstance(small, cst.ImportFrom) else
                    (dotted_name(alias.name) or "") for statement in self.module.body
                    if isinstance(statement, cst.SimpleStatementLine) for small in statement.body
                    if isinstance(small, (cst.Import, cst.ImportFrom)) and not (
                        isinstance(small, cst.ImportFrom) and small.module is None)
                    for alias in (small.names if isinstance(small, cst.Import) else (None,))}
        roots = {name.split(".")[0] for name in imported}
        return bool(roots & {"flask", "flask_restful", "flask_restx"}) and not roots & {"fastapi", "starlette"}

    def _flask_view_base(self, method: cst.FunctionDef) -> str | None:
        """`Resource` when `method` is defined in a class deriving from a Flask view class."""
        body = self.parents.get(method)
        cls = self.parents.get(body) if isinstance(body, cst.IndentedBlock) else None
        if not isinstance(cls, cst.ClassDef):
            return None
        for base in cls.bases:
            qualified = self._qualified(base.value)
            if qualified in FLASK_VIEW_CLASSES:
                return qualified.replace("_", "-").split(".")[0].title().replace("Flask-Restful", "Flask-RESTful") \
                    .replace("Flask-Restx", "Flask-RESTX")
        return None

    def _param_type(self, param: cst.Param, function: cst.FunctionDef, class_qualname: str | None,
                    role: str | None) -> Expr | None:
        if param.annotation is not None:
            return self.annotation(param.annotation.annotation)
        first = next(iter(_all_params(function.params)), None)
        if class_qualname is not None and param is first:
            decorators = {self._decorator_name(d) for d in function.decorators}
            if "staticmethod" in decorators:
                return None
            kind = "cls" if "classmethod" in decorators else "self"
            return (kind, self.path, class_qualname)
        if role in ("test", "fixture") or (self.facts.is_test_module and function.name.value.startswith("test")):
            return ("fixture", param.name.value, self.path)
        return None

    def _returned(self, function: cst.FunctionDef) -> Expr | None:
        """Without a return annotation: what the function's `return` statements agree it returns."""
        if _yields(function):
            return None
        found = {self.expr(node.value) for node in _own_nodes(function) if isinstance(node, cst.Return)
                 and node.value is not None and not (isinstance(node.value, cst.Name) and node.value.value == "None")}
        found.discard(None)
        return found.pop() if len(found) == 1 else None

    def _handed_out(self, function: cst.FunctionDef) -> Expr | None:
        """What a fixture or a generator context manager hands its users: the value of its (first) `return` or
        `yield`."""
        for node in _own_nodes(function):
            if isinstance(node, cst.Return) and node.value is not None:
                return self.expr(node.value)
            if isinstance(node, cst.Yield) and isinstance(node.value, cst.BaseExpression):
                return self.expr(node.value)
        return None

    def _class(self, node: cst.ClassDef) -> ClassFacts:
        qualname = qualname_of(node, self.parents)
        methods: dict[str, str] = {}
        attributes: dict[str, Expr] = {}
        relationships: dict[str, Relationship] = {}
        has_table = False
        required: list[str] = []
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef):
                methods[statement.name.value] = f"{qualname}.{statement.name.value}"
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    target, value, annotation = _class_binding(small)
                    if target is None:
                        continue
                    if annotation is not None and _required_field(annotation, value):
                        required.append(target)
                    if target == "__tablename__" or target == "__table__":
                        has_table = True
                    relationship = self._relationship(value, annotation)
                    if relationship is not None:
                        relationships[target] = relationship
                    elif annotation is not None:
                        attributes[target] = self.annotation(annotation)
                    elif value is not None:
                        attributes[target] = self.expr(value)
        for method in node.body.body:
            if isinstance(method, cst.FunctionDef):
                for assign_target, value in _self_assignments(method):
                    attributes.setdefault(assign_target, self.expr(value))
        # `BaseRepository[Task]` inherits from BaseRepository, with Task for its type parameter.
        written = [arg.value for arg in node.bases if arg.keyword is None]
        plain = [base.value if isinstance(base, cst.Subscript) else base for base in written]
        arguments = tuple(tuple(self.expr(e.slice.value) for e in base.slice if isinstance(e.slice, cst.Index))
                          if isinstance(base, cst.Subscript) else () for base in written)
        bases = tuple(self.expr(base) for base in plain)
        base_names = tuple(dotted_name(base) or "" for base in plain)
        return ClassFacts(qualname, self.line_of(node), bases, base_names, methods, attributes, relationships,
                          has_table, arguments, tuple(required))

    def _relationship(self, value: cst.BaseExpression | None, annotation: cst.BaseExpression | None):
        if not isinstance(value, cst.Call):
            return None
        callee = self._qualified(value.func) or dotted_name(value.func) or ""
        if callee.rsplit(".", 1)[-1] != "relationship":
            return None
        flask = isinstance(value.func, cst.Attribute) and self.evidence.is_flask_extension(value.func.value)
        if not (callee.startswith("sqlalchemy") or callee == "relationship" or flask):
            return None
        target: Expr | None = None
        if value.args and value.args[0].keyword is None:
            first = value.args[0].value
            text = string_value(first)
            target = self._string_type(text) if text is not None else self.expr(first)
        collection = True
        eager = False
        backref = None
        for arg in value.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "backref":
                backref = _backref_name(arg.value)
            elif arg.keyword.value == "uselist":
                collection = not (isinstance(arg.value, cst.Name) and arg.value.value == "False")
            elif arg.keyword.value == "lazy":
                strategy = string_value(arg.value)
                eager = strategy in ("selectin", "joined", "subquery", "immediate", "noload", "raise",
                                     "raise_on_sql", "write_only", "dynamic")
        if annotation is not None:
            typed = self.annotation(annotation)
            if typed is not None:
                collection = typed[0] == "list"
                if target is None:
                    target = typed[1] if typed[0] == "list" else typed
        if target is not None and target[0] == "inst":
            target = target[1]
        return Relationship(target, collection, eager, backref)
