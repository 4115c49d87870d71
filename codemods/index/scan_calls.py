"""Call sites and value uses, and the legacy queries handed to functions (ModuleScanner)."""

from __future__ import annotations

from pathlib import PurePosixPath

import libcst as cst
from libcst.metadata import ClassScope, ComprehensionScope, FunctionScope, GlobalScope, Scope

from ..core.drained_generators import drained_at_once
from ..core.nodes import dotted_name, metadata_value, string_value
from ..core.functions import qualname_of
from .facts import (CONTEXT_METHODS, DEPENDS, FIXTURE_DECORATORS, ROUTE_CLASSES, ROUTE_REGISTRATIONS, AttributeRead,
                    CallSite, Expr, ValueUse)
from .registration import QUERY_PARAMS as query_params, QUERY_RETURNS as query_returns
from .scan_nodes import _code, _dependency_override, _is_conversion, _is_main_guard, argument_slot


class _CallSites:
    """Call sites and value uses, and the legacy queries handed to functions (ModuleScanner)."""

    # -- call sites and value uses ----------------------------------------------------------------
    def call_site(self, node: cst.Call) -> CallSite:
        owner, context = self.placement(node)
        parent = self.parents.get(node)
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        sessions = self._session_arguments(node)
        session_first = bool(positional) and positional[0] in sessions
        passes_session = bool(sessions)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        return CallSite(
            callee=self.expr(node.func), line=self.line_of(node), owner=owner, context=context,
            awaited=isinstance(parent, cst.Await), iterated=self._iterated(node), entered=self._entered(node),
            session_first=session_first, passes_session=passes_session, method=method, used=self._used(node, parent),
            query_args=self._query_args(node), finishes=self._finishes(node), bound=self._bound(node, parent),
            thunk=isinstance(parent, cst.Lambda) and self._thunk_call(parent) is node,
            session_args=self._values(sessions), returned_use=self._returned_use(node),
        )

    def _returned_use(self, node: cst.Call) -> tuple | str | None:
        if not query_returns.may_finish(self.evidence, node):
            return None
        found = query_returns.returned_use(self.evidence, node)
        if isinstance(found, str):
            return found
        return query_returns.local_names(self.evidence, node), tuple(self.expr(model) for model in found)

    def _session_arguments(self, node: cst.Call) -> list[cst.Arg]:
        """The arguments of a call that are database sessions."""
        return [arg for arg in node.args if not arg.star and self.evidence.session(arg.value) is not None]

    def _values(self, arguments: list[cst.Arg]) -> tuple[Expr, ...]:
        return tuple(found for arg in arguments if (found := self.expr(arg.value)) is not None)

    def entry_sites(self, item: cst.WithItem) -> list[CallSite]:
        """`with x:` calls `x.__enter__()` and `x.__exit__(...)`: a class of the project may make them async."""
        statement = self.parents.get(item)
        if not isinstance(statement, cst.With) or statement.asynchronous is not None:
            return []
        receiver = self.expr(item.item)
        if receiver is None:
            return []
        owner, context = self.placement(item.item)
        line = self.line_of(item.item)
        return [CallSite(callee=("attr", receiver, method), line=line, owner=owner, context=context, entered=True)
                for method in CONTEXT_METHODS]

    def _bound(self, node: cst.Call, parent: cst.CSTNode | None) -> bool:
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
            return False
        target = parent.targets[0].target
        return isinstance(target, cst.Name) and isinstance(metadata_value(self.scopes, target), FunctionScope)

    # -- legacy queries handed to functions (query/params.py) --------------------------------------
    @property
    def query_flows(self):
        """Q's flow analysis, allowing any query handed to a call: what each call passes is recorded, and the
        coloring decides which calls may keep doing so."""
        if self._query_flows is None:
            self._query_flows = query_params.scan_flows(self.evidence)
        return self._query_flows

    @property
    def query_helpers(self) -> query_returns.QueryHelpers:
        if self._query_helpers is None:
            self._query_helpers = query_returns.QueryHelpers(self.evidence, self.query_flows)
        return self._query_helpers

    def _finishes(self, node: cst.Call) -> bool:
        if node.args or not isinstance(node.func, cst.Attribute):
            return False
        found = self.query_helpers.finish(node)
        return found is not None and _is_conversion(found)

    def receives_query(self, node: cst.FunctionDef) -> tuple[str, int] | None:
        found = query_params.candidate(self.evidence, node, self.evidence.config.session_names)
        if not isinstance(found, query_params.Candidate) or not _is_conversion(self.query_flows.parameter(found)):
            return None
        return found.param.name.value, found.position

    def _query_args(self, node: cst.Call) -> tuple[tuple[str, str], ...]:
        found = []
        positional = 0
        for arg in node.args:
            if arg.star:
                return ()
            origin = query_params.query_origin(self.evidence, arg.value)
            slot = arg.keyword.value if arg.keyword is not None else str(positional)
            positional += arg.keyword is None
            if origin is None:
                continue
            conversion = self.query_flows.convert(origin)
            if _is_conversion(conversion) and [call for call, _ in conversion.arguments] == [node]:
                found.append((slot, query_params.passed_shape(self.query_flows.planner.resolve, _code,
                                                                conversion.entities, conversion.steps)))
        return tuple(found)

    def _used(self, node: cst.Call, parent: cst.CSTNode | None) -> bool:
        if isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node:
            return True
        if isinstance(parent, cst.Call) and parent.func is node:
            return True
        if isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.ComparisonTarget,
                               cst.BooleanOperation, cst.FormattedStringExpression)):
            return True
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and parent.test is node:
            return True
        return self._iterated(node)

    def _iterated(self, node: cst.Call) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node

    def _entered(self, node: cst.Call) -> bool:
        item = self.parents.get(node)
        return isinstance(item, cst.WithItem) and item.item is node and isinstance(self.parents.get(item), cst.With)

    def placement(self, node: cst.CSTNode) -> tuple[str | None, str]:
        """Which function's body runs `node`, and whether `await` could go there once it is async."""
        scope = metadata_value(self.scopes, node)
        while isinstance(scope, ComprehensionScope):
            if isinstance(scope.node, cst.GeneratorExp) and not drained_at_once(scope.node, self.parents.get):
                return self._function_owner(scope), "inside a generator expression"
            scope = scope.parent
        if isinstance(scope, FunctionScope):
            if isinstance(scope.node, cst.Lambda):
                return self._function_owner(scope), "inside a lambda"
            return qualname_of(scope.node, self.parents), "body"
        if isinstance(scope, ClassScope):
            return None, "in a class body"
        if self._under_main_guard(node) or self._conftest_statement(node):
            return None, "main"
        return None, "at module level, when the module is imported"

    def _conftest_statement(self, node: cst.CSTNode) -> bool:
        """`main()` as a statement of its own at the top of a conftest.py: pytest imports the file while it
        collects, before any test's event loop exists, so the call can go through asyncio.run() like a
        script's entry point."""
        if PurePosixPath(self.path).name != "conftest.py":
            return False
        expression = self.parents.get(node)
        line = self.parents.get(expression)
        return isinstance(expression, cst.Expr) and expression.value is node and \
            isinstance(line, cst.SimpleStatementLine) and self.parents.get(line) is self.module

    def _function_owner(self, scope: Scope | None) -> str | None:
        while scope is not None and not isinstance(scope, GlobalScope):
            if isinstance(scope, FunctionScope) and isinstance(scope.node, cst.FunctionDef):
                return qualname_of(scope.node, self.parents)
            scope = scope.parent
        return None

    def _under_main_guard(self, node: cst.CSTNode) -> bool:
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, cst.If) and _is_main_guard(current.test) and isinstance(
                    self.parents.get(current), cst.Module):
                return True
            current = self.parents.get(current)
        return False

    def attribute_read(self, node: cst.Attribute) -> AttributeRead | None:
        """`obj.name` anywhere but in imports, decorators and the callee position of a call."""
        parent = self.parents.get(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return None
        current = parent
        while isinstance(current, (cst.Attribute, cst.ImportAlias, cst.Decorator, cst.Import, cst.ImportFrom)):
            if not isinstance(current, cst.Attribute):
                return None
            current = self.parents.get(current)
        holder, child = parent, node
        while isinstance(holder, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            holder, child = self.parents.get(holder), holder
        kind = "load"
        if (isinstance(holder, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor))
                and holder.target is child) or (isinstance(holder, cst.AsName) and holder.name is child):
            kind = "store"
        elif isinstance(holder, cst.Del):
            kind = "delete"
        owner, context = self.placement(node)
        return AttributeRead(node.attr.value, self.expr(node.value), self.line_of(node), owner, context, kind)

    def read_by_name(self, node: cst.Call) -> AttributeRead | None:
        """`getattr(obj, "name")`, `setattr`, `hasattr`, `delattr`, `operator.attrgetter("name")`."""
        callee = self.expr(node.func)
        function = callee[1] if callee is not None and callee[0] == "name" else ""
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if function in ("builtins.getattr", "builtins.setattr", "builtins.hasattr", "builtins.delattr"):
            name = string_value(positional[1]) if len(positional) > 1 else None
            receiver = self.expr(positional[0])
        elif function == "operator.attrgetter":
            name = string_value(positional[0]) if positional else None
            receiver = None
        else:
            return None
        if not name:
            return None
        owner, context = self.placement(node)
        return AttributeRead(name.split(".")[0], receiver, self.line_of(node), owner, context, "by-name")

    def value_use(self, node: cst.Name | cst.Attribute) -> ValueUse | None:
        parent = self.parents.get(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return None
        if isinstance(parent, (cst.Attribute, cst.Decorator, cst.Annotation, cst.ImportAlias, cst.AssignTarget,
                               cst.Param, cst.FunctionDef, cst.ClassDef, cst.AsName, cst.Subscript, cst.ImportFrom,
                               cst.Import, cst.Global, cst.Nonlocal)):
            return None
        if isinstance(node, cst.Name) and not self._is_load(node):
            return None
        consumer, detail = self._consumer(node, parent)
        if consumer is None:
            return None
        target = self.expr(node)
        # A local holding what a call returns may hold a function a factory made (callables.py).
        kinds = ("name", "def", "attr", "call") if isinstance(node, cst.Name) else ("name", "def", "attr")
        if target is None or target[0] not in kinds:
            return None
        owner, _ = self.placement(node)
        keyword = parent.keyword.value if isinstance(parent, cst.Arg) and parent.keyword is not None else None
        call = self.parents.get(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(call, cst.Call):
            return ValueUse(target, self.line_of(node), owner, consumer, detail, keyword, self.expr(call.func),
                            argument_slot(call, parent))
        return ValueUse(target, self.line_of(node), owner, consumer, detail, keyword)

    def thunk_use(self, node: cst.Lambda) -> ValueUse | None:
        """`safe_try(lambda: fix(db))`: the lambda hands `fix`'s result to whoever calls it, so it is a value use
        of `fix` by that call, like `safe_try(fix)` (coloring_callables follows it)."""
        call = self._thunk_call(node)
        arg = self.parents.get(node)
        consumer = self.parents.get(arg) if isinstance(arg, cst.Arg) else None
        if call is None or not isinstance(consumer, cst.Call) or arg.value is not node or arg.star:
            return None
        target = self.expr(call.func)
        if target is None or target[0] not in ("name", "def", "attr"):
            return None
        owner, _ = self.placement(node)
        detail = f"handed in a lambda to `{dotted_name(consumer.func) or 'a call'}(...)`"
        keyword = arg.keyword.value if arg.keyword is not None else None
        return ValueUse(target, self.line_of(node), owner, "unknown", detail, keyword, self.expr(consumer.func),
                        argument_slot(consumer, arg), self._values(self._session_arguments(call)))

    @staticmethod
    def _thunk_call(node: cst.Lambda) -> cst.Call | None:
        """The call a lambda without parameters consists of (`lambda: fix(db)`), if that is all it does."""
        params = node.params
        if params.params or params.posonly_params or params.kwonly_params or not isinstance(
                params.star_arg, cst.MaybeSentinel) or params.star_kwarg is not None:
            return None
        return node.body if isinstance(node.body, cst.Call) else None

    def _is_load(self, name: cst.Name) -> bool:
        scope = metadata_value(self.scopes, name)
        if scope is None:
            return False
        return any(access.node is name for access in scope.accesses[name.value]) if name.value in scope else False

    def _consumer(self, node: cst.CSTNode, parent: cst.CSTNode | None) -> tuple[str | None, str]:
        if isinstance(parent, cst.Arg):
            call = self.parents.get(parent)
            if not isinstance(call, cst.Call):
                return "unknown", ""
            callee = self._qualified(call.func) or dotted_name(call.func) or ""
            last = callee.rsplit(".", 1)[-1]
            if callee in DEPENDS or last in ("Depends", "Security"):
                return "depends", callee
            if isinstance(call.func, cst.Attribute) and last == "add_task" and call.args[0] is parent:
                # The detail is the position of the first session argument, if any (F106).
                position = next((str(i) for i, arg in enumerate(call.args[1:], start=1)
                                 if arg.keyword is None and not arg.star and self.is_session(arg.value)), "")
                return "background", position
            if last in ROUTE_REGISTRATIONS or callee in ROUTE_CLASSES:
                return "route", callee
            return "unknown", f"passed to `{dotted_name(call.func) or 'a call'}(...)`"
        if isinstance(parent, cst.Return) or isinstance(parent, cst.Yield):
            function = self.evidence.enclosing(node, cst.FunctionDef)
            if function is not None and self._is_fixture(function):
                return "fixture-value", ""
            return "unknown", "returned as a value"
        if isinstance(parent, (cst.Assign, cst.AnnAssign)):
            if isinstance(parent, cst.Assign) and all(_dependency_override(t.target) for t in parent.targets):
                # `app.dependency_overrides[get_db] = override_get_db`: FastAPI resolves it like a dependency.
                return "depends", "dependency_overrides"
            return "unknown", "stored in a variable"
        if isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement)):
            return "unknown", "stored in a collection"
        return None, ""

    def _is_fixture(self, function: cst.FunctionDef) -> bool:
        return any((self._qualified(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                    or "") in FIXTURE_DECORATORS for d in function.decorators)
