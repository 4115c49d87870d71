"""The uses that break a program once some of its definitions are async and others are not.

Each violation names the file that must change for the program to work again: the sync side of the
mismatch (a sync user of something async, a sync definition that an async user awaits), so that a
partial migration can say which files must come along.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from .inference import Inference
from .kinds import (
    AWAITABLE_FUNCTIONS,
    AWAITABLE_METHODS,
    MISSING_ON_ASYNC,
    SESSIONS,
    FunctionRef,
    Kind,
    Parameter,
    Scope,
    Tag,
    external_name,
    own_nodes,
    scope_nodes,
    scopes_of,
)
from .project import Module, Project, absolute_module

UNAWAITED = "unawaited"
AWAIT_ON_SYNC = "await-on-sync"
SYNC_WITH_ON_ASYNC = "with-on-async"
ASYNC_WITH_ON_SYNC = "async-with-on-sync"
MISSING_METHOD = "missing-method"
SESSION_MISMATCH = "session-mismatch"
SYNC_ITERATION_OF_ASYNC = "iterates-async"
NESTED_LOOP = "nested-loop"
MISSING_NAME = "missing-name"
UNREGISTERED = "unregistered"

# Sync methods of AsyncSession: awaiting what they return fails.
SYNC_METHODS_OF_ASYNC_SESSION = frozenset({
    "add", "add_all", "expunge", "expunge_all", "expire", "expire_all", "in_transaction", "in_nested_transaction",
    "is_modified", "get_bind", "enable_relationship_loading",
})
# Where a coroutine is consumed although nobody writes `await`: the result is handed on, so the check
# cannot follow it, or it is run by an event loop.
_HANDED_ON = (ast.Await, ast.Return, ast.Yield, ast.YieldFrom, ast.keyword, ast.Starred, ast.List, ast.Tuple,
              ast.Set, ast.Dict, ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.IfExp)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    column: int
    kind: str
    function: str
    message: str
    # The file that must change (come along with the run) for this use to work.
    needs: str

    def key(self) -> tuple[str, str, str, str]:
        """Identity across a rewrite that moves lines: where (file, function), what, and about which name."""
        return self.path, self.function, self.kind, self.message

    def describe(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def find_violations(project: Project, trust_session_annotations: bool = True) -> list[Violation]:
    inference = Inference(project, trust_session_annotations)
    _solve_coroutine_returning(project, inference)
    found: list[Violation] = []
    for module in project.modules.values():
        for scope in scopes_of(project, module):
            found.extend(_ScopeChecker(inference, scope).violations())
        found.extend(_missing_names(project, module))
    return sorted(set(found), key=lambda v: (v.path, v.line, v.column, v.kind))


def _missing_names(project: Project, module: Module) -> Iterator[Violation]:
    """`from app.core.database import get_db` where that module defines no `get_db` (an ImportError)."""
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = project.module_named(absolute_module(node, module), module.path)
        if source is None or "__getattr__" in source.bindings or any(
                isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names) for s in source.tree.body):
            continue
        for alias in node.names:
            if alias.name == "*" or alias.name in source.bindings \
                    or project.module_named(f"{source.name}.{alias.name}", module.path) is not None:
                continue
            yield Violation(module.path, node.lineno, node.col_offset + 1, MISSING_NAME, "<module>",
                            f"`{alias.name}` is imported from `{source.name}`, which does not define it",
                            source.path)


def _solve_coroutine_returning(project: Project, inference: Inference) -> None:
    """Sync functions that `return` an un-awaited coroutine hand it to their callers: calling them makes
    a coroutine too (a fixpoint: a wrapper of such a function does the same)."""
    for _ in range(8):
        before = len(inference.coroutine_returning)
        for module in project.modules.values():
            for scope in scopes_of(project, module):
                if not isinstance(scope.node, ast.FunctionDef):
                    continue
                for node in own_nodes(scope.node):
                    if (isinstance(node, ast.Return) and isinstance(node.value, ast.Call)
                            and _awaitable(inference, node.value, scope) is not None):
                        inference.coroutine_returning.add((module.path, scope.qualname))
                        break
        if len(inference.coroutine_returning) == before:
            return


def _awaitable(inference: Inference, call: ast.Call, scope: Scope) -> str | None:
    """A description of what `call` calls when calling it makes an awaitable, else None."""
    callee = inference.expr(call.func, scope)
    if callee is None:
        return None
    if callee.tag is Tag.FUNCTION:
        function: FunctionRef = callee.ref
        if function.is_async and not function.is_generator:
            return f"async function `{function.qualname}`"
        if (function.module, function.qualname) in inference.coroutine_returning:
            return f"`{function.qualname}` (returns a coroutine)"
        return None
    if external_name(callee) in AWAITABLE_FUNCTIONS:
        return f"`{external_name(callee)}()`"
    method = _method(callee)
    if method is not None and method[1] in AWAITABLE_METHODS.get(method[0].tag, ()):
        return f"{method[0].tag.value}.{method[1]}()"
    return None


def _method(kind: Kind | None) -> tuple[Kind, str] | None:
    if kind is not None and kind.tag is Tag.EXTERNAL and isinstance(kind.ref, tuple) and kind.ref[0] == "method":
        return kind.ref[1], kind.ref[2]
    return None


class _ScopeChecker:
    def __init__(self, inference: Inference, scope: Scope) -> None:
        self.inference = inference
        self.scope = scope
        self.path = scope.module.path
        self.function = scope.qualname or "<module>"
        self.nodes = list(scope_nodes(scope.node))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in [scope.node, *self.nodes]:
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.found: list[Violation] = []

    def violations(self) -> list[Violation]:
        for node in self.nodes:
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
                self._await(node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                self._with(node)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                self._attribute(node)
            elif isinstance(node, ast.For):
                self._for(node)
        if isinstance(self.scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._parameters(self.scope.node)
        return self.found

    def _add(self, node: ast.AST, kind: str, message: str, needs: str | None = None) -> None:
        self.found.append(Violation(self.path, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, kind,
                                    self.function, message, needs or self.path))

    # -- a call that makes a coroutine must have it awaited (or handed on) ---------------------------
    def _call(self, call: ast.Call) -> None:
        what = _awaitable(self.inference, call, self.scope)
        if what is not None and self._dropped(call):
            where = "async" if self.scope.is_async else "sync"
            self._add(call, UNAWAITED, f"{what} is called without `await` in {where} `{self.function}`: "
                                       "its coroutine never runs")
        self._arguments(call)
        if self.scope.is_async:
            driver = self.inference.expr(call.func, self.scope)
            if driver is not None and driver.tag is Tag.LOOP_DRIVER:
                self._add(call, NESTED_LOOP, f"`{ast.unparse(call.func)}(...)` starts an event loop inside async "
                                             f"`{self.function}`, where one is already running")
        if isinstance(call.func, ast.Name) and call.func.id == "next" and call.args:
            inner = call.args[0]
            if isinstance(inner, ast.Call) and self._async_generator(inner) is not None:
                self._add(call, SYNC_ITERATION_OF_ASYNC,
                          f"next() on async generator `{self._async_generator(inner).qualname}`")
        key = self.inference.locators.unregistered(call, self.scope)
        if key is not None:
            self._add(call, UNREGISTERED, f"`{ast.unparse(call.func)}(\"{key}\")`: nothing registers `{key}` "
                                          "any more")
        if external_name(self.inference.expr(call.func, self.scope)) in ("sqlasync.compat.call_legacy",
                                                                        "sqlasync.compat.bridge.call_legacy"):
            self._bridge(call)

    def _dropped(self, call: ast.Call) -> bool:
        """Is the coroutine `call` makes lost (used as a value, or discarded) rather than awaited or handed on?"""
        parent = self.parents.get(call)
        if isinstance(parent, _HANDED_ON):
            return False
        if isinstance(parent, (ast.AsyncFor, ast.comprehension)) and parent.iter is call and (
                isinstance(parent, ast.AsyncFor) or parent.is_async):
            return False  # iterated with `async for` (an override of the callee may be the async generator that runs)
        if isinstance(parent, ast.Call):
            return call is parent.func
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            return len(names) == len(targets) and not any(self._handed_on_later(name) for name in names)
        return True

    def _handed_on_later(self, name: str) -> bool:
        for node in self.nodes:
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                parent = self.parents.get(node)
                if isinstance(parent, (*_HANDED_ON, ast.Assign)) or (
                        isinstance(parent, ast.Call) and node is not parent.func):
                    return True
        return False

    # -- `await` on something that stays sync ------------------------------------------------------
    def _await(self, call: ast.Call) -> None:
        callee = self.inference.expr(call.func, self.scope)
        if callee is None:
            return
        if callee.tag is Tag.FUNCTION:
            function: FunctionRef = callee.ref
            if (not function.is_async and not function.is_generator
                    and (function.module, function.qualname) not in self.inference.coroutine_returning
                    and _returns_plain_values(self.inference, function)):
                self._add(call, AWAIT_ON_SYNC, f"`await` on `{function.qualname}`, which stays sync",
                          needs=function.module)
            return
        method = _method(callee)
        if method is None:
            return
        receiver, name = method
        if receiver.side == "sync" or (receiver.tag is Tag.ASYNC_SESSION and name in SYNC_METHODS_OF_ASYNC_SESSION):
            self._add(call, AWAIT_ON_SYNC, f"`await` on {receiver.tag.value}.{name}(), which is sync")

    # -- context managers --------------------------------------------------------------------------
    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            kind = self.inference.expr(item.context_expr, self.scope)
            if kind is None:
                continue
            if isinstance(node, ast.With) and (kind.tag in (Tag.ASYNC_SESSION, Tag.ASYNC_CONTEXT)):
                self._add(item.context_expr, SYNC_WITH_ON_ASYNC,
                          f"`with` on {_describe(kind)}, which needs `async with`")
            if isinstance(node, ast.AsyncWith) and kind.tag in (Tag.SYNC_SESSION, Tag.SYNC_CONTEXT):
                factory = item.context_expr.func if isinstance(item.context_expr, ast.Call) else item.context_expr
                self._add(item.context_expr, ASYNC_WITH_ON_SYNC, f"`async with` on {_describe(kind)}, which is sync",
                          needs=self.inference.defined_in(factory, self.scope))
            if kind.tag is Tag.INSTANCE:
                self._with_instance(node, item.context_expr, kind.ref)

    def _with_instance(self, node: ast.With | ast.AsyncWith, entered: ast.expr, cls) -> None:
        """An instance of a project class is entered with the protocol its class defines after the run."""
        sync = self.inference.class_member(cls, "__exit__", 0) is not None
        asynchronous = self.inference.class_member(cls, "__aexit__", 0) is not None
        if isinstance(node, ast.With) and asynchronous and not sync:
            self._add(entered, SYNC_WITH_ON_ASYNC, f"`with` on an instance of `{cls.qualname}`, an async context "
                      "manager (`__aenter__`/`__aexit__`), which needs `async with`", needs=cls.module)
        if isinstance(node, ast.AsyncWith) and sync and not asynchronous:
            self._add(entered, ASYNC_WITH_ON_SYNC, f"`async with` on an instance of `{cls.qualname}`, whose context "
                      "manager is sync (`__enter__`/`__exit__`)", needs=cls.module)

    def _attribute(self, node: ast.Attribute) -> None:
        kind = self.inference.expr(node.value, self.scope)
        if kind is not None and node.attr in MISSING_ON_ASYNC.get(kind.tag, ()):
            self._add(node, MISSING_METHOD, f"{kind.tag.value} has no `{node.attr}`")

    def _for(self, node: ast.For) -> None:
        if isinstance(node.iter, ast.Call):
            generator = self._async_generator(node.iter)
            if generator is not None:
                self._add(node.iter, SYNC_ITERATION_OF_ASYNC, f"`for` over async generator `{generator.qualname}`")

    def _async_generator(self, call: ast.Call) -> FunctionRef | None:
        kind = self.inference.expr(call.func, self.scope)
        if kind is not None and kind.tag is Tag.FUNCTION and kind.ref.is_async and kind.ref.is_generator:
            return kind.ref
        return None

    # -- sessions handed from one side to the other ------------------------------------------------
    def _parameters(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for argument in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs):
            if argument.annotation is None:
                continue
            parameter = Parameter(argument, function)
            provider = self.inference.dependency(parameter, self.scope, 0)
            if provider is None:
                continue
            declared = self.inference.annotation(argument.annotation, self.scope, 0)
            given = self.inference.yields(provider)
            self._mismatch(argument, declared, self.path, given, provider.module,
                           f"`{argument.arg}` is declared {{declared}} but `{provider.qualname}` provides {{given}}")

    def _arguments(self, call: ast.Call) -> None:
        callee = self.inference.expr(call.func, self.scope)
        if callee is None:
            return
        if callee.tag in (Tag.CLASS, Tag.SUBCLASS_OF):
            # A constructor hands its arguments to `__init__` (to any subclass's, for a `type[T]` of a TypeVar).
            for constructor in self.inference.constructors(callee):
                self._passed(call, constructor, bound=True)
        elif callee.tag is Tag.FUNCTION:
            self._passed(call, callee.ref, bound=callee.ref.owner is not None and isinstance(call.func, ast.Attribute))

    def _passed(self, call: ast.Call, function: FunctionRef, bound: bool) -> None:
        """Each argument of `call` against the annotation of the parameter of `function` it is passed to."""
        callee_scope = self.inference.scope_of(function)
        parameters = [*function.node.args.posonlyargs, *function.node.args.args]
        if bound and parameters:
            parameters = parameters[1:]
        by_name = {p.arg: p for p in (*parameters, *function.node.args.kwonlyargs)}
        pairs = list(zip(call.args, parameters))
        pairs += [(k.value, by_name[k.arg]) for k in call.keywords if k.arg in by_name]
        for value, parameter in pairs:
            if isinstance(value, ast.Starred) or parameter.annotation is None:
                continue
            declared = self.inference.annotation(parameter.annotation, callee_scope, 0)
            given = self.inference.expr(value, self.scope)
            self._mismatch(value, declared, function.module, given, self.path,
                           f"{{given}} passed to `{function.qualname}`, whose `{parameter.arg}` is {{declared}}")

    def _mismatch(self, node: ast.AST, declared: Kind | None, declared_in: str, given: Kind | None, given_in: str,
                  message: str) -> None:
        """A session of one side where the other is declared; the file of the sync side must change. Likewise a
        sync engine handed to a parameter declared `AsyncEngine` (E107 declares the engine parameter of a function
        that becomes async so; a sync `Engine` parameter given the async engine is judged by what the function
        does with it)."""
        if declared is not None and given is not None and declared.tag is Tag.ASYNC_ENGINE \
                and given.tag is Tag.SYNC_ENGINE:
            self._add(node, SESSION_MISMATCH, message.format(declared=declared.tag.value, given=given.tag.value),
                      needs=given_in)
            return
        if declared is None or given is None or declared.tag not in SESSIONS or given.tag not in SESSIONS \
                or declared.tag is given.tag:
            return
        self._add(node, SESSION_MISMATCH, message.format(declared=declared.tag.value, given=given.tag.value),
                  needs=declared_in if declared.tag is Tag.SYNC_SESSION else given_in)

    def _bridge(self, call: ast.Call) -> None:
        if not call.args:
            return
        # (a sync Session is fine: call_legacy hands it to the sync function as it is)
        if len(call.args) > 1:
            target = self.inference.expr(call.args[1], self.scope)
            if target is not None and target.tag is Tag.FUNCTION and target.ref.is_async:
                self._add(call, UNAWAITED, f"call_legacy() runs async `{target.ref.qualname}` as if it were sync")


def _describe(kind: Kind) -> str:
    if kind.tag in (Tag.ASYNC_CONTEXT, Tag.SYNC_CONTEXT) and isinstance(kind.ref, FunctionRef):
        decorator = "@asynccontextmanager" if kind.tag is Tag.ASYNC_CONTEXT else "@contextmanager"
        return f"{decorator} `{kind.ref.qualname}()`"
    if kind.tag in (Tag.ASYNC_CONTEXT, Tag.SYNC_CONTEXT):
        return f"{kind.ref.tag.value}.connect()/begin()"
    return kind.tag.value


def _returns_plain_values(inference: Inference, function: FunctionRef) -> bool:
    """Does every `return` of a sync function give a value that is certainly not awaitable?"""
    scope = inference.scope_of(function)
    for node in own_nodes(function.node):
        if isinstance(node, ast.Return) and node.value is not None and not _plain(inference, node.value, scope):
            return False
    return True


def _plain(inference: Inference, value: ast.expr, scope: Scope) -> bool:
    if isinstance(value, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp,
                          ast.DictComp, ast.SetComp, ast.Compare, ast.BinOp, ast.UnaryOp)):
        return True
    kind = inference.expr(value, scope)
    if kind is not None and (kind.side == "sync" or kind.tag is Tag.INSTANCE):
        return True
    # A result read off a sync session's query chain: `db.query(X).filter(...).first()`, `db.get(X, 1)`.
    root = value
    while isinstance(root, (ast.Call, ast.Attribute, ast.Subscript)):
        root = root.func if isinstance(root, ast.Call) else root.value
        root_kind = inference.expr(root, scope) if isinstance(root, (ast.Name, ast.Attribute)) else None
        if root_kind is not None and root_kind.side == "sync":
            return True
    return False
