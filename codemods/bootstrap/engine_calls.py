"""E107/E108: code that uses the engine itself, which is an `AsyncEngine` once E101 has run.

`engine.dispose()` returns a coroutine, `engine.connect()`/`begin()` are async context managers, and
`inspect(engine)` raises `NoInspectionAvailable`. The engine is recognised from its binding: a
`create_engine(...)` that E101 converts or a `create_async_engine(...)` in the file, or a name listed in
`engine-names` imported from the project's database module (named `database`, `db`, ... or the module
the file imports the session factory or `get_db` from), whose E101 makes it async.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, ImportAssignment, PositionProvider, QualifiedNameSource

from ..core.await_sites import await_problem, decorator_name
from ..core.nodes import dotted_name, metadata_value
from ..session import CONNECTION_IO, handout_plan
from .engine_calls_inspect import _Inspectors, _needs_parentheses
from .engine_calls_plan import (ASYNC_ENGINE_BUILDERS, CONSUMERS, CONTEXT_METHODS, DATABASE_MODULES, ENGINE_BUILDERS,
                                ENGINE_TYPES, EXIT_DECORATORS, GONE_METHODS, INSPECT, AwaitEngineCall,
                                ConnectionBlock, RegistryBind, RunEngineCall, RunOnConnection, SyncTwinConnection)


class EngineCalls(_Inspectors):
    """The E107/E108 half of the bootstrap recogniser; `engine_fixable(call)` says whether E101 converts a
    `create_engine(...)` call, `report(code, node, message, plan_or_reason)` records a site."""

    def __init__(self, recogniser) -> None:
        self.recogniser = recogniser
        self.context = recogniser.context
        self.evidence = recogniser.evidence

    def visit_call(self, node: cst.Call) -> None:
        if self.context.target != "async":
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "configure":
            self._registry_bind(node)
        if isinstance(func, cst.Attribute) and self.is_engine(func.value):
            self._method(node, func.attr.value)
        elif node.args and self.evidence.callee_is(node, INSPECT, ()) and self.is_engine(node.args[0].value):
            self._inspect(node)

    # -- what is an engine --------------------------------------------------------------------
    def is_engine(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        scope = metadata_value(self.evidence.scopes, expr)
        if scope is None or expr.value not in scope:
            return False
        assignments = [a for a in scope[expr.value] if isinstance(a, Assignment)]
        return bool(assignments) and all(self._engine_binding(a, expr.value) for a in assignments)

    def _engine_binding(self, assignment: Assignment, name: str) -> bool:
        if isinstance(assignment.node, cst.Param):
            return self.engine_parameter(assignment.node)
        if isinstance(assignment, ImportAssignment) or isinstance(assignment.node, (cst.Import, cst.ImportFrom)):
            statement = assignment.node
            if not isinstance(statement, cst.ImportFrom) or isinstance(statement.names, cst.ImportStar):
                return False
            module = dotted_name(statement.module) if statement.module else None
            if module is None or module.split(".")[0] == "sqlalchemy" or not self._database_module(module) \
                    or self._stays_legacy(module):
                return False
            return any((alias.evaluated_alias or alias.evaluated_name) == name
                       and alias.evaluated_name in self.context.config.engine_names for alias in statement.names)
        value = self.evidence.bound_value(assignment.node)
        if not isinstance(value, cst.Call):
            return False
        if self.evidence.callee_is(value, ASYNC_ENGINE_BUILDERS, ("create_async_engine",)):
            return True
        return (self.evidence.callee_is(value, ENGINE_BUILDERS, ("create_engine",))
                and self.recogniser.engine_fixable(value))

    def engine_parameter(self, param: cst.Param) -> bool:
        """`engine: Engine` on a function that is or becomes async. Its callers await it on the event loop, where
        the engine they hand it is the project's async one (the post-condition checks each call passes an
        `AsyncEngine`), so the parameter is annotated and used as the async engine."""
        if param.annotation is None or not self.evidence.qualified(param.annotation.annotation) & ENGINE_TYPES:
            return False
        function = self.evidence.enclosing(param, cst.FunctionDef)
        return function is not None and self.evidence.parent(self.evidence.parent(param)) is function \
            and self.context.will_be_async(function)

    def _stays_legacy(self, module: str) -> bool:
        """The engine's module is not part of this run (a cut of the tests alone): its engine stays sync."""
        coloring = self.context.coloring
        return coloring is not None and coloring.module_stays_legacy(module, str(self.context.path))

    def _database_module(self, module: str) -> bool:
        """The module is the database layer: named so, or this file imports the session factory or get_db
        from it too (an `engine` imported from `app.rendering` is some other engine)."""
        if module.rsplit(".", 1)[-1] in DATABASE_MODULES:
            return True
        config = self.context.config
        wanted = {*config.session_factories, *config.get_db_names}
        return any(isinstance(small, cst.ImportFrom) and small.module is not None
                   and dotted_name(small.module) == module and not isinstance(small.names, cst.ImportStar)
                   and any(alias.evaluated_name in wanted for alias in small.names)
                   for statement in self.context.module.body if isinstance(statement, cst.SimpleStatementLine)
                   for small in statement.body)

    def _derived_engine(self, expr: cst.BaseExpression) -> bool:
        """The project's engine, or `engine.execution_options(...)` of it, directly or through a name bound once."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
                and expr.func.attr.value == "execution_options":
            return self._derived_engine(expr.func.value)
        if not isinstance(expr, cst.Name):
            return False
        if self.is_engine(expr) or self._imported_engine_name(expr):
            return True
        scope = metadata_value(self.evidence.scopes, expr)
        assignments = [a for a in scope[expr.value] if isinstance(a, Assignment)] \
            if scope is not None and expr.value in scope else []
        values = [self.evidence.bound_value(a.node) for a in assignments]
        return len(values) == 1 and isinstance(values[0], cst.Call) and self._derived_engine(values[0])

    def _imported_engine_name(self, name: cst.Name) -> bool:
        """A name listed in `engine-names` imported from a module of the project (E101 makes that engine async)."""
        return name.value in self.context.config.engine_names and any(
            q.source is QualifiedNameSource.IMPORT and q.name.split(".")[0] not in ("", "sqlalchemy")
            and not self._stays_legacy(q.name.rpartition(".")[0])
            for q in metadata_value(self.evidence.qualified_names, name, ()))

    def _registry_bind(self, node: cst.Call) -> None:
        """`Session.configure(bind=engine)` on a `scoped_session` registry, which stays sync: bound to the engine
        that becomes async, its sessions (and factory_boy's, which share them) could not run a query."""
        registry = self.evidence.registry_name(node.func.value)
        bind = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "bind"), None)
        if registry is None or bind is None or not self._derived_engine(bind):
            return
        if isinstance(bind, cst.Call) and dotted_name(bind.func) in ("sync_twin", "compat.sync_twin"):
            return
        self.recogniser.report_plan(
            "E107", node, f"`{registry}.configure(bind=...)` binds the sync `scoped_session` registry `{registry}` to "
            "the engine that becomes async", RegistryBind(bind))

    # -- E107 ---------------------------------------------------------------------------------
    def _method(self, node: cst.Call, method: str) -> None:
        site = self._method_site(node, method)
        if site is not None:
            self.recogniser.report_plan("E107", node, *site)

    def _method_site(self, node: cst.Call, method: str) -> tuple[str, object] | None:
        """The message and plan (or reason) of `engine.method(...)`, None when it needs nothing."""
        parent = self.evidence.parent(node)
        if isinstance(parent, cst.Await) or self._handed_on(node):
            return None
        engine = dotted_name(node.func) or "engine.method"
        if method == "dispose":
            return f"`{engine}()` returns a coroutine on the async engine", self._dispose_plan(node)
        if method in CONTEXT_METHODS:
            statement = self.evidence.parent(parent) if isinstance(parent, cst.WithItem) else None
            if isinstance(statement, cst.With) and statement.asynchronous is not None:
                return None
            handout = handout_plan(self.evidence, node, "connection")
            if handout is not None:
                problem = None if isinstance(handout, str) else await_problem(
                    self.context, handout.fixture.body.body[handout.start])
                return (f"fixture hands out the connection `{engine}()` opens, which its async users need opened "
                        "and closed on their event loop", problem or handout)
            return (f"`{engine}()` is an async context manager on the async engine",
                    self._block_plan(node, statement, engine))
        if method == "raw_connection":
            return (f"`{engine}()` returns a coroutine on the async engine",
                    "a raw DBAPI connection of an async driver is not a sync one; rewrite what uses it by hand")
        if method in GONE_METHODS:
            return (f"`{engine}()` does not exist on an async engine",
                    "SQLAlchemy 2 has no engine-level execution: use `async with engine.connect() as conn:` and "
                    "`await conn.execute(...)` by hand")
        return None

    def uses_left(self, binding: cst.Name) -> list[str]:
        """Uses of the engine `binding` names (in this file) that E107/E108 would leave sync: while one is
        left, the engine cannot become async without breaking it."""
        scope = metadata_value(self.evidence.scopes, binding)
        if scope is None or binding.value not in scope:
            return []
        left = []
        positions = self.context.wrapper.resolve(PositionProvider)
        # A name's references are a set: in source order, the message is the same from run to run.
        accesses = [access for assignment in scope[binding.value] for access in getattr(assignment, "references", ())]
        for access in sorted(accesses, key=lambda access: _start(positions[access.node])):
            use = self.evidence.parent(access.node)
            call = self.evidence.parent(use)
            if isinstance(use, cst.Attribute) and use.value is access.node and isinstance(call, cst.Call) \
                    and call.func is use:
                site = self._method_site(call, use.attr.value)
            elif isinstance(use, cst.Arg) and isinstance(call, cst.Call) and self.evidence.callee_is(call, INSPECT, ()):
                site = ("", self._inspect_plan(call, binding.value))
            else:
                continue
            if site is not None and isinstance(site[1], str):
                left.append(f"`{cst.Module([]).code_for_node(call)}`")
        return left

    def _block_plan(self, node: cst.Call, statement: cst.CSTNode | None, engine: str) -> ConnectionBlock | str:
        """`with engine.connect() as conn:` whose connection is only used by calling its methods in the block."""
        by_hand = (f"write `async with {engine}() as conn:` and await the connection's calls "
                   "(`await conn.execute(...)`, `await conn.run_sync(...)`) by hand")
        if not isinstance(statement, cst.With) or len(statement.items) != 1:
            return by_hand
        asname = statement.items[0].asname
        if asname is None or not isinstance(asname.name, cst.Name):
            return by_hand if asname is not None else self._unnamed(statement)
        problem = await_problem(self.context, statement)
        if problem:
            return problem
        scope = metadata_value(self.evidence.scopes, asname.name)
        name = asname.name.value
        accesses = self._block_accesses(scope, name, statement) if scope is not None else None
        if accesses is None:
            return f"`{name}` is bound more than once; {by_hand}"
        awaits = []
        runs = []
        for access in accesses:
            attribute = self.evidence.parent(access.node)
            call = self.evidence.parent(attribute)
            if self._handed_to_sync_helper(access.node, statement):
                problem = await_problem(self.context, call)
                if problem:
                    return problem
                runs.append(RunOnConnection(call, name, _needs_parentheses(self.evidence, call)))
                continue
            if not (isinstance(attribute, cst.Attribute) and attribute.value is access.node
                    and isinstance(call, cst.Call) and call.func is attribute
                    and attribute.attr.value in CONNECTION_IO and _inside(self.evidence, call, statement.body)):
                return f"`{name}` is used otherwise than by calling its I/O methods inside the block; {by_hand}"
            if isinstance(self.evidence.parent(call), cst.Await):
                continue
            problem = await_problem(self.context, call)
            if problem:
                return problem
            awaits.append(AwaitEngineCall(call, _needs_parentheses(self.evidence, call)))
        if isinstance(node.func, cst.Attribute) and any(self._opaque_helper(run.call) for run in runs):
            return SyncTwinConnection(node.func.value)  # (and the block's own calls stay those of a sync connection)
        return ConnectionBlock(statement, tuple(awaits), tuple(runs))

    def _opaque_helper(self, call: cst.Call, depth: int = 0) -> bool:
        """Does the sync helper `call` calls (handed the connection first) use it beyond SQLAlchemy's `Connection`
        methods: driver-level SQL (`exec_driver_sql`, the DBAPI `.connection`), or handing it on to code outside
        this module? Such code may be written for the sync driver (its paramstyle, several statements in one
        execute), which the async driver's sync face does not keep."""
        helpers = self._module_functions(dotted_name(call.func))
        parameters = helpers[0].params.params if len(helpers) == 1 else ()
        if not parameters or depth > 3:
            return False
        name = parameters[0].name.value
        for use in m.findall(helpers[0].body, m.Name(name)):
            parent = self.evidence.parent(use)
            if isinstance(parent, cst.Attribute) and parent.value is use:
                if parent.attr.value in ("exec_driver_sql", "connection", "driver_connection"):
                    return True
                continue
            argument_of = self.evidence.parent(parent) if isinstance(parent, cst.Arg) else None
            if isinstance(argument_of, cst.Call) and isinstance(argument_of.func, cst.Name) \
                    and self._module_functions(argument_of.func.value):
                if argument_of.args and argument_of.args[0] is parent and self._opaque_helper(argument_of, depth + 1):
                    return True
                continue
            if not isinstance(parent, (cst.Param, cst.AssignTarget)):
                return True  # handed to another module's code, kept in a container, returned ...
        return False

    def _block_accesses(self, scope, name: str, block: cst.With) -> list | None:
        """The uses of the connection `block` binds: all uses of `name` when it is bound once; when every binding
        is a `with ... as name:` of its own (`with engine.begin() as connection:` twice in a function), the uses
        inside this block, provided each use lies inside one of those blocks. None otherwise."""
        bindings = list(scope[name])
        accesses = list({id(a.node): a for b in bindings for a in b.references}.values())
        if len(bindings) == 1:
            return accesses
        blocks = [self._with_binding(b.node) for b in bindings]
        if any(b is None for b in blocks) or any(_inside(self.evidence, b, block.body) for b in blocks if b is not block):
            return None
        if not all(any(_inside(self.evidence, a.node, b.body) for b in blocks) for a in accesses):
            return None
        return [a for a in accesses if _inside(self.evidence, a.node, block.body)]

    def _with_binding(self, node: cst.CSTNode) -> cst.With | None:
        """The `with` statement whose `as` target `node` is."""
        asname = self.evidence.parent(node)
        item = self.evidence.parent(asname) if isinstance(asname, cst.AsName) else None
        statement = self.evidence.parent(item) if isinstance(item, cst.WithItem) else None
        return statement if isinstance(statement, cst.With) else None

    def _handed_to_sync_helper(self, connection: cst.Name, block: cst.With) -> bool:
        """`helper(conn, ...)` inside the block: the connection is the first positional argument (and no other
        argument) of a module-level function of this file that stays sync, which `run_sync` can run as it is."""
        argument = self.evidence.parent(connection)
        call = self.evidence.parent(argument)
        if not (isinstance(argument, cst.Arg) and isinstance(call, cst.Call) and call.args
                and call.args[0] is argument and argument.keyword is None and not argument.star
                and isinstance(call.func, cst.Name) and _inside(self.evidence, call, block.body)):
            return False
        if any(m.findall(other, m.Name(connection.value)) for other in call.args[1:]):
            return False
        helpers = self._module_functions(call.func.value)
        return len(helpers) == 1 and not self.context.will_be_async(helpers[0])

    def _module_functions(self, name: str | None) -> list[cst.FunctionDef]:
        """The module-level `def`s of this file named `name`."""
        return [statement for statement in self.context.module.body
                if isinstance(statement, cst.FunctionDef) and statement.name.value == name]

    def _unnamed(self, statement: cst.With) -> ConnectionBlock | str:
        """`with engine.begin():` without a name: nothing in the block can use the connection."""
        return await_problem(self.context, statement) or ConnectionBlock(statement, ())

    def _dispose_plan(self, node: cst.Call) -> object:
        function = self.evidence.enclosing(node, cst.FunctionDef)
        if function is not None and function.asynchronous is None and self._sync_entry_point(function) \
                and self.evidence.enclosing(node, cst.Lambda) is None:
            return RunEngineCall(node)
        problem = await_problem(self.context, node)
        if problem:
            return problem
        return AwaitEngineCall(node, _needs_parentheses(self.evidence, node))

    def _sync_entry_point(self, function: cst.FunctionDef) -> bool:
        """A pytest hook or an atexit handler: called by code that never awaits, with no event loop running."""
        name = function.name.value
        at_module_level = self.evidence.parent(function) is self.context.module
        if at_module_level and name.startswith("pytest_"):
            return True
        if any(decorator_name(d) in EXIT_DECORATORS for d in function.decorators):
            return True
        return at_module_level and any(
            call.args and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == name
            for call in m.findall(self.context.module, m.Call(func=m.Attribute(value=m.Name("atexit"),
                                                                                attr=m.Name("register")))))

    def _handed_on(self, node: cst.Call) -> bool:
        """`asyncio.run(engine.dispose())`, `loop.run_until_complete(...)`: the coroutine is meant to be handed on."""
        arg = self.evidence.parent(node)
        consumer = self.evidence.parent(arg) if isinstance(arg, cst.Arg) else None
        return isinstance(consumer, cst.Call) and (dotted_name(consumer.func) or "").rsplit(".", 1)[-1] in CONSUMERS


def _inside(evidence, node: cst.CSTNode, block: cst.CSTNode) -> bool:
    current = evidence.parent(node)
    while current is not None and current is not block:
        current = evidence.parent(current)
    return current is block


def _start(where) -> tuple[int, int]:
    return where.start.line, where.start.column
