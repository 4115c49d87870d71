"""Apply family F's matches to one module: `async def`, `await`, `async for`, `asyncio.run`, the bridge,
test markers, and the edits of background tasks and relationship loading."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ScopeProvider

from ..core import imports
from ..index.facts import CONTEXT_METHODS
from .fixture_values import with_parameters
from .solution import ENTRY_SUFFIX
from ..core.docstrings import docstring_and_rest
from ..core.family import FileContext
from ..core.nodes import dotted_name
from ..core.rule import Match

ANYIO_BACKEND_FIXTURE = '''@pytest.fixture(scope="session")
def anyio_backend():
    # Migrated async tests and fixtures run on asyncio through the anyio pytest plugin.
    return "asyncio"
'''


def rewrite(context: FileContext, matches: list[Match]) -> cst.Module:
    from . import background as coloring_background, blocking as coloring_blocking, fixture_values, lazy_rewrite
    from . import loop_driver as coloring_loop_driver, loops as coloring_loops
    from .plan import (AnyioBackend, AsyncEntry, AsyncLoop, AwaitCall, AwaitInsteadOfRun, AwaitRead, Bridge,
                       AwaitTwin, MakeAsync, RunMain, SyncEntry)

    plan = _Plan(context)
    for match in matches:
        data = match.data
        if isinstance(data, MakeAsync):
            plan.functions[id(data.function)] = data.role
            if data.loop_scope is not None:
                plan.loop_scopes[id(data.function)] = data.loop_scope
            if data.accessor:
                plan.accessors[id(data.function)] = data.cached
        elif isinstance(data, SyncEntry):
            plan.sync_entries[id(data.function)] = data.twin
        elif isinstance(data, AwaitTwin):
            twin = data.twin
            if data.module is not None:
                twin = plan.spell(data.module, data.twin, [data.call])
                # The sync face may now be unused here: `from app.jobs import nightly` goes if nothing else needs it.
                called = data.call.func.value
                entry = data.twin.removesuffix(ENTRY_SUFFIX)
                plan.maybe_unused.append(imports.Import(data.module, entry, called if called != entry else None))
            plan.replacements[id(data.call)] = lambda updated, twin=twin: updated.with_changes(
                func=updated.func.with_changes(attr=cst.Name(twin)) if isinstance(updated.func, cst.Attribute)
                else cst.parse_expression(twin))
            plan.awaits[id(data.call)] = data.parenthesize
        elif isinstance(data, AwaitRead):
            plan.reads[id(data.attribute)] = data.parenthesize
        elif isinstance(data, AwaitCall):
            plan.awaits[id(data.call)] = data.parenthesize
        elif isinstance(data, AwaitInsteadOfRun):
            plan.replacements[id(data.run)] = lambda updated, parens=data.parenthesize: cst.Await(
                updated.args[0].value, lpar=[cst.LeftParen()] if parens else [], rpar=[cst.RightParen()] if parens else [])
            # `asyncio` (or `run` from it) may have been imported for this call only, and so may the loop it ran on.
            plan.maybe_unused_modules.add("asyncio")
            plan.maybe_unused.append(imports.Import("asyncio", "run"))
            loop = data.run.func.value if isinstance(data.run.func, cst.Attribute) else None
            function = context.evidence.enclosing(data.run, cst.FunctionDef)
            if isinstance(loop, cst.Name) and function is not None:
                plan.spent_loops.setdefault(id(function), set()).add(loop.value)
        elif isinstance(data, AsyncLoop):
            plan.loops.add(id(data.loop))
        elif isinstance(data, AsyncEntry):
            plan.entries.add(id(data.statement))
        elif isinstance(data, AnyioBackend):
            plan.needs_backend_fixture = True
        elif isinstance(data, RunMain):
            plan.runs.add(id(data.call))
        elif isinstance(data, Bridge):
            plan.bridges[id(data.call)] = data.parenthesize
            if not data.awaited:
                plan.handed_bridges.add(id(data.call))
            if data.session_argument is not None:
                plan.bridge_arguments[id(data.call)] = data.session_argument
        elif coloring_background.owns(data):
            coloring_background.plan(data, plan)
        elif lazy_rewrite.owns(data):
            lazy_rewrite.plan(data, plan)
        elif coloring_loops.owns(data):
            coloring_loops.plan(data, plan, context.wrapper.module)
        elif coloring_loop_driver.owns(data):
            coloring_loop_driver.plan(data, plan)
        elif coloring_blocking.owns(data):
            coloring_blocking.plan(data, plan)
        elif fixture_values.owns(data):
            fixture_values.plan(data, plan)
    module = context.wrapper.module
    updated = module.visit(_Apply(plan))
    return plan.finish(updated)


class _Plan:
    """Every edit of one module, keyed by the identity of the original node it applies to."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.marker = context.config.test_async_marker
        self.functions: dict[int, str | None] = {}
        # Sync entries (F112): function -> the name of the async twin its body moves into.
        self.sync_entries: dict[int, str] = {}
        # pytest-asyncio: tests and fixtures that run on a wider event loop than the per-test one.
        self.loop_scopes: dict[int, str] = {}
        self.awaits: dict[int, bool] = {}
        self.accessors: dict[int, bool] = {}  # property getters that become methods -> is it a cached_property?
        self.reads: dict[int, bool] = {}
        self.loops: set[int] = set()
        self.runs: set[int] = set()
        # function -> names of the loops its `run_until_complete` calls ran on (`loop = asyncio.get_event_loop()`).
        self.spent_loops: dict[int, set[str]] = {}
        self.entries: set[int] = set()
        self.bridges: dict[int, bool] = {}
        # Bridges whose coroutine a lambda returns for its caller to await.
        self.handed_bridges: set[int] = set()
        self.bridge_arguments: dict[int, int] = {}
        # Extra edits registered by coloring_background and lazy_rewrite: node id -> function(updated) -> node.
        self.replacements: dict[int, object] = {}
        # Edits of the whole module (coloring_loops), applied before the imports are added.
        self.module_edits: list = []
        self.module_imports: set[str] = set()
        self.from_imports: list[imports.Import] = []
        # Imports the edits may leave unused (`from x import y`, `import m`): dropped once the new ones are in place,
        # so that a new import takes the place of the one it replaces rather than the blank line after it.
        self.maybe_unused: list[imports.Import] = []
        self.maybe_unused_modules: set[str] = set()
        self.needs_backend_fixture = False
        self.memo: dict[object, object] = {}

    def spell(self, module: str, name: str, sites: list[cst.CSTNode], equivalents: Sequence[str] = ()) -> str:
        scopes = self.context.wrapper.resolve(ScopeProvider)
        spelling = imports.spell(self.context.wrapper.module, scopes, imports.Import(module, name), sites, equivalents)
        if spelling.needs is not None:
            self.from_imports.append(spelling.needs)
        return spelling.text

    def finish(self, module: cst.Module) -> cst.Module:
        for edit in self.module_edits:
            module = edit(module)
        if self.needs_backend_fixture and not _defines(module, "anyio_backend"):
            module = _insert_before_first_definition(module, cst.parse_module(ANYIO_BACKEND_FIXTURE).body)
            self.module_imports.add("pytest")
        # Placed where isort would put them once every family has run (house_style).
        plain = [imports.Import(name, None) for name in sorted(self.module_imports)]
        module = imports.add_imports(module, [*plain, *self.from_imports])
        return imports.remove_unused_imports(module, self.maybe_unused, self.maybe_unused_modules)


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: _Plan) -> None:
        super().__init__()
        self.plan = plan

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        updated = self._replaced(original, updated)
        key = id(original)
        for loop in sorted(self.plan.spent_loops.get(key, ())):
            updated = _without_unused_loop(updated, loop)
        if key in self.plan.sync_entries:
            runner = self.plan.spell("sqlasync.compat", "run_from_sync", [original])
            method = isinstance(self.plan.context.evidence.parent(self.plan.context.evidence.parent(original)),
                                cst.ClassDef)
            return cst.FlattenSentinel(_split_entry(updated, self.plan.sync_entries[key], runner, method))
        if key not in self.plan.functions or updated.asynchronous is not None:
            return updated
        role = self.plan.functions[key]
        updated = updated.with_changes(asynchronous=cst.Asynchronous())
        if key in self.plan.accessors:
            updated = self._cached(original, updated) if self.plan.accessors[key] else _without_property(updated)
        loop_scope = self.plan.loop_scopes.get(key)
        if role == "test":
            updated = self._mark_test(updated, loop_scope)
        elif role == "fixture":
            updated = self._async_fixture(updated, loop_scope)
        elif role == "contextmanager":
            updated = self._async_context_manager(original, updated)
        elif role == "context-method":
            updated = updated.with_changes(name=cst.Name(CONTEXT_METHODS[original.name.value]))
        return updated

    def _cached(self, original: cst.FunctionDef, function: cst.FunctionDef) -> cst.FunctionDef:
        """`@cached_property` -> compat's `@cached_per_instance`: the async method keeps one result per instance."""
        name = self.plan.spell("sqlasync.compat", "cached_per_instance", [original])
        decorator = function.decorators[0]
        if isinstance(decorator.decorator, cst.Attribute):
            self.plan.maybe_unused_modules.add("functools")
        else:
            self.plan.maybe_unused.append(imports.Import("functools", "cached_property"))
        return function.with_changes(decorators=[decorator.with_changes(decorator=cst.parse_expression(name))])

    def _async_context_manager(self, original: cst.FunctionDef, function: cst.FunctionDef) -> cst.FunctionDef:
        """`@contextmanager` / `@contextlib.contextmanager` -> the async twin, spelled as the module spells it."""
        decorator = function.decorators[0].decorator
        if isinstance(decorator, cst.Attribute):
            replacement: cst.BaseExpression = decorator.with_changes(attr=cst.Name("asynccontextmanager"))
        else:
            name = self.plan.spell("contextlib", "asynccontextmanager", [original])
            replacement = cst.parse_expression(name)
            self.plan.maybe_unused.append(imports.Import("contextlib", "contextmanager"))
        return function.with_changes(decorators=[function.decorators[0].with_changes(decorator=replacement)])

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.CSTNode:
        updated = self._replaced(original, updated)
        if id(original) in self.plan.entries:
            return updated.with_changes(asynchronous=cst.Asynchronous())
        return updated

    def _mark_test(self, function: cst.FunctionDef, loop_scope: str | None) -> cst.FunctionDef:
        marker = "anyio" if self.plan.marker == "anyio" else "asyncio"
        if any(_decorator_text(d) == f"pytest.mark.{marker}" for d in function.decorators):
            return function
        self.plan.module_imports.add("pytest")
        # The loop of the wider fixtures it uses: a session opened on one loop cannot be used on another.
        arguments = f'(loop_scope="{loop_scope}")' if loop_scope is not None else ""
        decorator = cst.Decorator(cst.parse_expression(f"pytest.mark.{marker}{arguments}"))
        return function.with_changes(decorators=[*function.decorators, decorator])

    def _async_fixture(self, function: cst.FunctionDef, loop_scope: str | None) -> cst.FunctionDef:
        if self.plan.marker == "pytest-asyncio":
            self.plan.module_imports.add("pytest_asyncio")
            return function.with_changes(decorators=[_asyncio_fixture(d, loop_scope) for d in function.decorators])
        # Requesting anyio_backend is what makes anyio's plugin run this fixture, also for sync tests.
        return with_parameters(function, ["anyio_backend"])

    def leave_Parameters(self, original: cst.Parameters, updated: cst.Parameters) -> cst.Parameters:
        return updated.with_changes(params=_last_keeps_comma(original.params, updated.params))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        updated = updated.with_changes(args=_last_keeps_comma(original.args, updated.args))
        result: cst.BaseExpression = self._replaced(original, updated)
        key = id(original)
        if key in self.plan.bridges:
            result = self._bridge(original, result)
        if key in self.plan.runs:
            self.plan.module_imports.add("asyncio")
            result = cst.Call(cst.parse_expression("asyncio.run"), [cst.Arg(result)])
        if key in self.plan.awaits or (key in self.plan.bridges and key not in self.plan.handed_bridges):
            parenthesize = self.plan.awaits.get(key) or self.plan.bridges.get(key)
            result = cst.Await(result, lpar=[cst.LeftParen()] if parenthesize else [],
                               rpar=[cst.RightParen()] if parenthesize else [])
        return result

    def _bridge(self, original: cst.Call, call: cst.Call) -> cst.Call:
        name = self.plan.spell("sqlasync.compat", "call_legacy", [original])
        func = cst.Name(name) if "." not in name else cst.parse_expression(name)
        # Arguments laid out one a line stay so: what the bridge adds takes the line break the first one has.
        between = call.whitespace_before_args if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace) \
            else cst.SimpleWhitespace(" ")
        index = self.plan.bridge_arguments.get(id(original))
        if index is not None:
            # `f(x, db)`, `f(db_session=db, x=1)` -> `call_legacy(db, f, db_session=db, x=1)`: the bridge puts
            # the sync session where the async one was passed.
            passed = call.args[index]
            session = cst.Arg(passed.value.deep_clone(), comma=cst.Comma(whitespace_after=between))
            function = cst.Arg(call.func, comma=cst.Comma(whitespace_after=between))
            return call.with_changes(func=func, args=[session, function, *call.args])
        session, *rest = call.args
        function = cst.Arg(call.func, comma=cst.Comma(whitespace_after=between))
        if not rest:
            # `f(db)` -> `call_legacy(db, f)`: the session's comma and what closes the call go after `f` now.
            function = function.with_changes(comma=session.comma, whitespace_after_arg=session.whitespace_after_arg)
            session = session.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
        session = session.with_changes(comma=cst.Comma(whitespace_after=between))
        return call.with_changes(func=func, args=[session, function, *rest])

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.CSTNode:
        updated = self._replaced(original, updated)
        if id(original) in self.plan.loops:
            return updated.with_changes(asynchronous=cst.Asynchronous())
        return updated

    def leave_CompFor(self, original: cst.CompFor, updated: cst.CompFor) -> cst.CSTNode:
        if id(original) in self.plan.loops:
            return updated.with_changes(asynchronous=cst.Asynchronous())
        return updated

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        result = super().on_leave(original, updated)
        if isinstance(original, (cst.FunctionDef, cst.Call, cst.For)):
            return result
        if isinstance(result, cst.CSTNode):
            result = self._replaced(original, result)
        if id(original) in self.plan.reads and isinstance(result, cst.BaseExpression):
            parenthesize = self.plan.reads[id(original)]
            result = cst.Await(cst.Call(result), lpar=[cst.LeftParen()] if parenthesize else [],
                               rpar=[cst.RightParen()] if parenthesize else [])
        return result

    def _replaced(self, original: cst.CSTNode, updated: cst.CSTNode):
        edit = self.plan.replacements.get(id(original))
        return edit(updated) if edit is not None else updated


def _split_entry(function: cst.FunctionDef, twin: str, runner: str,
                 method: bool) -> tuple[cst.FunctionDef, cst.FunctionDef]:
    """`def f(a, *, b)` with decorators and docstring, whose one statement runs `async def f_async(a, *, b)` (the
    body) to the end; the docstring stays with `f` (Click and Typer show it as the command's help)."""
    docstring, body = docstring_and_rest(function)
    params = function.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if method:  # `self.f_async(...)`: the instance (or class) is the receiver, not an argument
        twin, positional = f"{positional[0]}.{twin}", positional[1:]
    forwarded = list(positional)
    if isinstance(params.star_arg, cst.Param):
        forwarded.append(f"*{params.star_arg.name.value}")
    forwarded += [f"{p.name.value}={p.name.value}" for p in params.kwonly_params]
    if params.star_kwarg is not None:
        forwarded.append(f"**{params.star_kwarg.name.value}")
    call = cst.parse_statement(f"return {runner}({', '.join([twin, *forwarded])})")
    entry = function.with_changes(body=function.body.with_changes(body=[*docstring, call]))
    if body:
        body[0] = body[0].with_changes(leading_lines=[line for line in body[0].leading_lines if line.comment])
    async_twin = function.with_changes(
        name=cst.Name(twin.rpartition(".")[2]), asynchronous=cst.Asynchronous(), decorators=[],
        leading_lines=[cst.EmptyLine(indent=False)] * (1 if method else 2), lines_after_decorators=[],
        body=function.body.with_changes(body=body))
    return entry, async_twin


def _without_property(function: cst.FunctionDef) -> cst.FunctionDef:
    """Drop `@property`; the comments and blank lines above it move to the next line that stays."""
    decorators = list(function.decorators)
    position = next(i for i, d in enumerate(decorators) if _decorator_text(d) == "property")
    dropped = decorators.pop(position)
    if position < len(decorators):
        decorators[position] = decorators[position].with_changes(
            leading_lines=[*dropped.leading_lines, *decorators[position].leading_lines])
        return function.with_changes(decorators=decorators)
    return function.with_changes(decorators=decorators,
                                 leading_lines=[*function.leading_lines, *dropped.leading_lines])


def _last_keeps_comma(before: Sequence[cst.CSTNode], after: Sequence[cst.CSTNode]) -> Sequence[cst.CSTNode]:
    """After a parameter or argument was removed, the new last one ends the way the old last one did
    (no `f(a, )` where `f(a, run)` lost `run`)."""
    if not after or len(after) == len(before):
        return after
    return [*after[:-1], after[-1].with_changes(comma=before[-1].comma)]


def _decorator_text(decorator: cst.Decorator) -> str:
    target = decorator.decorator
    return cst.Module([]).code_for_node(target.func if isinstance(target, cst.Call) else target)


def _asyncio_fixture(decorator: cst.Decorator, loop_scope: str | None) -> cst.Decorator:
    """`@pytest_asyncio.fixture`, with `loop_scope=` when the fixture runs on a wider loop than each test's."""
    target = decorator.decorator
    func = target.func if isinstance(target, cst.Call) else target
    if cst.Module([]).code_for_node(func) not in ("pytest.fixture", "fixture"):
        return decorator
    new = cst.parse_expression("pytest_asyncio.fixture")
    if loop_scope is None:
        return decorator.with_changes(decorator=target.with_changes(func=new) if isinstance(target, cst.Call) else new)
    call = target if isinstance(target, cst.Call) else cst.Call(new)
    if any(arg.keyword is not None and arg.keyword.value == "loop_scope" for arg in call.args):
        return decorator.with_changes(decorator=call.with_changes(func=new))
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    scope = cst.Arg(cst.SimpleString(f'"{loop_scope}"'), keyword=cst.Name("loop_scope"),
                    equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                          whitespace_after=cst.SimpleWhitespace("")))
    return decorator.with_changes(decorator=call.with_changes(func=new, args=[*args, scope]))


def _defines(module: cst.Module, name: str) -> bool:
    return any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in module.body)


def _insert_before_first_definition(module: cst.Module, statements) -> cst.Module:
    body = list(module.body)
    position = next((i for i, s in enumerate(body) if isinstance(s, (cst.FunctionDef, cst.ClassDef))), len(body))
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    new = [statement.with_changes(leading_lines=blank) for statement in statements]
    if position < len(body):
        body[position] = body[position].with_changes(leading_lines=blank + [
            line for line in body[position].leading_lines if line.comment is not None])
    return module.with_changes(body=[*body[:position], *new, *body[position:]])


# What only gets or makes an event loop: a statement binding one of these to a name nothing reads can go.
LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop",
                          "get_event_loop", "get_running_loop", "new_event_loop"})


def _without_unused_loop(function: cst.FunctionDef, name: str) -> cst.FunctionDef:
    """`function` without `name = asyncio.get_event_loop()` (or another getter) when its `run_until_complete`
    calls, now awaits, were the only reads of `name`."""
    getter = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name(name))], value=m.Call(
        func=m.MatchIfTrue(lambda func: dotted_name(func) in LOOP_GETTERS), args=[]))])
    if len(m.findall(function, m.Name(name))) != 1 or len(m.findall(function, getter)) != 1:
        return function
    return function.visit(_StatementDropped(getter))


class _StatementDropped(cst.CSTTransformer):
    """Removes the statement matching `pattern`, unless it is the only one of its block."""

    def __init__(self, pattern) -> None:
        super().__init__()
        self.pattern = pattern

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        kept = [statement for statement in updated.body if not m.matches(statement, self.pattern)]
        if not kept or len(kept) == len(updated.body):
            return updated
        dropped = next(i for i, statement in enumerate(updated.body) if m.matches(statement, self.pattern))
        if dropped == len(kept) and any(line.comment for line in updated.body[dropped].leading_lines):
            return updated  # a comment above the block's last statement has nowhere to go
        if dropped < len(kept):
            # The comments and blank lines above the dropped statement stay above the one after it.
            lines = [*updated.body[dropped].leading_lines, *kept[dropped].leading_lines]
            kept[dropped] = kept[dropped].with_changes(leading_lines=lines)
        return updated.with_changes(body=kept)
