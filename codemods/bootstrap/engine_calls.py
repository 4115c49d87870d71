"""E107/E108: code that uses the engine itself, which is an `AsyncEngine` once E101 has run.

`engine.dispose()` returns a coroutine, `engine.connect()`/`begin()` are async context managers, and
`inspect(engine)` raises `NoInspectionAvailable`. The engine is recognised from its binding: a
`create_engine(...)` that E101 converts or a `create_async_engine(...)` in the file, or a name listed in
`engine-names` imported from the project's database module (named `database`, `db`, ... or the module
the file imports the session factory or `get_db` from), whose E101 makes it async.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, ImportAssignment, PositionProvider, QualifiedNameSource

from ..core.await_sites import await_problem, decorator_name
from ..core.nodes import dotted_name, metadata_value
from ..session import CONNECTION_IO, handout_plan
from ..core.rule import Rule

ENGINE_METHODS = Rule(
    code="E107", name="async-engine-call", family="bootstrap",
    summary="method of the engine that becomes async called the sync way (`engine.dispose()`, `engine.connect()`)",
    why=(
        "Once the engine comes from `create_async_engine()`, `dispose()` returns a coroutine: called without "
        "`await` it does nothing (\"coroutine was never awaited\") and the pool's connections stay open. "
        "`connect()` and `begin()` are async context managers, and the 1.x `engine.execute()` is gone."
    ),
    before=(
        "from app.database import engine\n"
        "\n"
        "\n"
        "def pytest_sessionfinish(session, exitstatus):\n"
        "    engine.dispose()\n"
        "\n"
        "\n"
        "async def close_db():\n"
        "    engine.dispose()\n"
    ),
    after=(
        "import asyncio\n"
        "\n"
        "from app.database import engine\n"
        "\n"
        "\n"
        "def pytest_sessionfinish(session, exitstatus):\n"
        "    asyncio.run(engine.dispose())\n"
        "\n"
        "\n"
        "async def close_db():\n"
        "    await engine.dispose()\n"
    ),
    fixable=True,
    fix_notes=(
        "`engine.dispose()` is awaited where the function is or becomes async (F101 then awaits its callers). "
        "In a sync function that is called by something that never awaits and with no event loop running — "
        "a pytest hook (`pytest_sessionfinish`, `pytest_unconfigure`, ...) or an `atexit` handler — it runs "
        "as `asyncio.run(engine.dispose())` (and `import asyncio` is added). Left with the reason: a call in "
        "a function that must stay sync for another reason (a property, a Celery task, module level, a "
        "script's `__main__` block: dispose at the end of the async `main()` instead). `with engine.connect() as "
        "conn:` and `with engine.begin() as conn:` become `async with`, and the connection's I/O calls in the "
        "block (`execute`, `scalar`, `scalars`, `exec_driver_sql`, `commit`, `rollback`, `run_sync`, ...) are "
        "awaited; a connection used any other way (passed on, kept, read as an attribute, used after the "
        "block) is left with the reason, as are `raw_connection()`, and the 1.x `engine.execute()`/`scalar()`/`table_names()`/`has_table()` that "
        "SQLAlchemy 2 no longer has. A connection passed as the first argument to a function of the same module "
        "that stays sync (`setup_triggers(conn, tables)`) runs it as it is on the connection's sync face: "
        "`await conn.run_sync(setup_triggers, tables)`; when such a function hands the connection on to code "
        "outside the module or runs driver-level SQL (`exec_driver_sql`, the DBAPI connection), which may be "
        "written for the sync driver (its paramstyle, several statements in one call), the whole block stays a "
        "sync `with` on the engine's sync-driver twin instead: `with sync_twin(engine).connect() as conn:` "
        "(`sqlasync.compat`), the driver it had. Several blocks of one function may bind the same name "
        "(`with engine.begin() as connection:` twice). The engine is a name bound to `create_engine(...)` that "
        "E101 converts or to `create_async_engine(...)`, a name in `engine-names` imported from the database "
        "module (one whose last part is `database`, `db`, `session` or `engine`, or that the file imports the "
        "session factory or `get_db` from), or a parameter annotated `Engine` of a function that is or becomes "
        "async (`def init_database(engine: Engine)`): its callers await it and hand it the project's engine, so "
        "the annotation becomes `AsyncEngine` and its uses are converted like the others; the post-condition "
        "refuses the run if a caller hands it a sync engine. A function whose body does I/O through such a "
        "parameter becomes async with it (F101); one that does not (reads `engine.url`) stays sync and keeps its "
        "annotation. A pytest fixture handing out `engine.connect()` (`yield engine.connect()`, `conn = "
        "engine.connect(); yield conn`) becomes `async with engine.connect() as conn: yield conn` as D105 "
        "describes, only together with its users, and only while none of them calls the connection's I/O "
        "methods without `await` (sqlasync does not follow the connection into them). `Session.configure(bind="
        "engine)` on a `scoped_session` registry of the project (which E102 leaves sync, with the factory_boy "
        "factories that share it) becomes `Session.configure(bind=sync_twin(engine))`: `sqlasync.compat.sync_twin` "
        "is the engine itself while it is sync and its sync-driver twin (same URL, same execution options) once "
        "it is async, so the registry's sessions can still run their queries; `engine.execution_options(...)` of "
        "the engine, directly or through a name bound once, counts as the engine."
    ),
)
INSPECT_ENGINE = Rule(
    code="E108", name="inspect-async-engine", family="bootstrap",
    summary="`inspect(engine)` on the engine that becomes async (runtime inspection needs a sync connection)",
    why=(
        "`sqlalchemy.inspect()` cannot inspect an `AsyncEngine` (`NoInspectionAvailable`): the `Inspector` does "
        "sync I/O, so it must run on the sync connection that `AsyncConnection.run_sync()` hands to a function."
    ),
    before=(
        "from sqlalchemy import inspect\n"
        "\n"
        "from app.database import engine\n"
        "\n"
        "\n"
        "async def table_names():\n"
        "    return set(inspect(engine).get_table_names())\n"
    ),
    after=(
        "from sqlalchemy import inspect\n"
        "\n"
        "from app.database import engine\n"
        "\n"
        "\n"
        "async def table_names():\n"
        "    async with engine.connect() as conn:\n"
        "        return set(\n"
        "            await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())\n"
        "        )\n"
    ),
    fixable=True,
    fix_notes=(
        "Each `inspect(engine).method(...)` becomes `await conn.run_sync(lambda sync_conn: "
        "inspect(sync_conn).method(...))`, and the statement holding it runs inside `async with engine.connect() "
        "as conn:` (one block per statement; the method and its arguments are kept as written). An inspector "
        "kept in a variable (`insp = inspect(engine)`) and used by later statements gets one block from its "
        "binding to its last use, each `insp.method(...)` becoming such a `run_sync` call. The function becomes "
        "async through F101, and its callers await it (sync tests become async tests). Left with the reason: "
        "an inspector passed on, returned or stored elsewhere, one used in a compound statement's header "
        "(`if inspect(engine).has_table(...):`), and sites where `await` cannot go."
    ),
)

RULES = (ENGINE_METHODS, INSPECT_ENGINE)

ENGINE_BUILDERS = frozenset({"sqlalchemy.create_engine", "sqlalchemy.engine.create_engine",
                             "sqlalchemy.engine.create.create_engine"})
ASYNC_ENGINE_BUILDERS = frozenset({"sqlalchemy.ext.asyncio.create_async_engine",
                                   "sqlalchemy.ext.asyncio.engine.create_async_engine"})
INSPECT = ("sqlalchemy.inspect", "sqlalchemy.inspection.inspect")
ENGINE_TYPES = frozenset({"sqlalchemy.Engine", "sqlalchemy.engine.Engine", "sqlalchemy.engine.base.Engine"})
# Modules whose `engine` is the database engine, whatever else the file imports from them.
DATABASE_MODULES = frozenset({"database", "db", "session", "sessions", "engine", "engines"})
CONTEXT_METHODS = frozenset({"connect", "begin"})
GONE_METHODS = frozenset({"execute", "scalar", "table_names", "has_table", "run_callable", "transaction"})
# Called by code that never awaits, when no event loop runs: a coroutine can only go through asyncio.run().
EXIT_DECORATORS = frozenset({"atexit.register"})
CONSUMERS = frozenset({"run", "create_task", "gather", "ensure_future", "wait_for", "shield", "run_until_complete"})


@dataclass(frozen=True)
class AwaitEngineCall:
    call: cst.Call
    parenthesize: bool


@dataclass(frozen=True)
class RunOnConnection:
    """`helper(conn, *args)`, a sync function of the module handed the connection → `await conn.run_sync(helper,
    *args)`: the helper keeps its sync body and runs on the sync face of the async connection."""

    call: cst.Call
    connection: str
    parenthesize: bool


@dataclass(frozen=True)
class ConnectionBlock:
    """`with engine.connect() as conn:` → `async with`, awaiting the connection's I/O calls in the block."""

    statement: cst.With
    awaits: tuple[AwaitEngineCall, ...]
    runs: tuple[RunOnConnection, ...] = ()


@dataclass(frozen=True)
class AsyncEngineAnnotation:
    """`engine: Engine` → `engine: AsyncEngine` on a parameter of a function that is or becomes async."""

    annotation: cst.BaseExpression


@dataclass(frozen=True)
class RunEngineCall:
    """`asyncio.run(engine.dispose())` in a sync entry point."""

    call: cst.Call


@dataclass(frozen=True)
class InspectSite:
    """`inspect(engine).method(...)` → `await conn.run_sync(lambda sync_conn: inspect(sync_conn).method(...))`,
    with `statement` (or, for an inspector variable, the statements from `statement` to `last`) inside
    `async with engine.connect() as conn:`."""

    statement: cst.SimpleStatementLine
    uses: tuple[cst.Call, ...]
    engine: str
    connection: str
    sync_connection: str
    inspect: str
    # Uses that are the receiver of something (`inspect(e).get_columns(t)[0]`): the await goes in parentheses.
    parenthesized: frozenset[int] = frozenset()
    last: cst.BaseStatement | None = None


@dataclass(frozen=True)
class SyncTwinConnection:
    """`with engine.connect() as conn:` whose connection only goes to sync helpers that hand it on to code sqlasync
    does not see (or run driver-level SQL): `with sync_twin(engine).connect() as conn:`, the sync driver as before."""

    engine: cst.BaseExpression


@dataclass(frozen=True)
class RegistryBind:
    """`bind=engine` of a sync `scoped_session` registry becomes `bind=sync_twin(engine)`: the sync-driver engine
    on the same database (sqlasync.compat.sync_twin), the engine itself while it is still sync."""

    bind: cst.BaseExpression


class EngineCalls:
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
            if module is None or module.split(".")[0] == "sqlalchemy" or not self._database_module(module):
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

    # -- E108 ---------------------------------------------------------------------------------
    def _inspect(self, node: cst.Call) -> None:
        engine = dotted_name(node.args[0].value) or "engine"
        message = f"`inspect({engine})` cannot inspect the async engine"
        self.recogniser.report_plan("E108", node, message, self._inspect_plan(node, engine))

    def _inspect_plan(self, node: cst.Call, engine: str) -> InspectSite | str:
        if len(node.args) != 1 or node.args[0].keyword is not None:
            return "`inspect()` takes the engine alone; convert by hand"
        use = _method_call(self.evidence, node)
        last = None
        if use is not None:
            uses: tuple[cst.Call, ...] = (use,)
            statement = self._statement(use)
        else:
            found = self._inspector_variable(node)
            if isinstance(found, str):
                return found
            statement, uses, last = found
        if isinstance(statement, str):
            return statement
        engines = {dotted_name(call.args[0].value) for call in m.findall(statement, m.Call(args=[m.Arg()]))
                   if self.evidence.callee_is(call, INSPECT, ()) and self.is_engine(call.args[0].value)}
        if len(engines) > 1:
            return "the statement inspects more than one engine; give each its own statement, or convert by hand"
        for call in uses:
            problem = await_problem(self.context, call)
            if problem:
                return problem
            if m.findall(call, m.Lambda() | m.Await() | m.Yield()):
                return "the inspector call's arguments hold a lambda, await or yield; convert by hand"
        function = self.evidence.enclosing(statement, cst.FunctionDef)
        taken = {n.value for n in m.findall(function, m.Name())} if function is not None else set()
        connection = next((n for n in ("conn", "connection", "async_conn") if n not in taken), None)
        sync_connection = next((n for n in ("sync_conn", "sync_connection") if n not in taken), None)
        if connection is None or sync_connection is None:
            return "the names `conn`/`connection` and `sync_conn` are all taken here; convert by hand"
        inspect = cst.Module([]).code_for_node(node.func)
        parenthesized = frozenset(id(call) for call in uses if _needs_parentheses(self.evidence, call))
        return InspectSite(statement, uses, engine, connection, sync_connection, inspect, parenthesized, last)

    def _statement(self, node: cst.CSTNode) -> cst.SimpleStatementLine | str:
        current = self.evidence.parent(node)
        while current is not None and not isinstance(current, cst.BaseStatement):
            current = self.evidence.parent(current)
        if isinstance(current, cst.SimpleStatementLine) and len(current.body) == 1 and \
                isinstance(self.evidence.parent(current), cst.IndentedBlock):
            return current
        return ("the inspector is used in a compound statement's header or a one-line block; move the call to "
                "a statement of its own, or convert by hand")

    def _inspector_variable(self, node: cst.Call):
        """`insp = inspect(engine)` followed, in the same block, by statements that only call its methods."""
        assign = self.evidence.parent(node)
        statement = self.evidence.parent(assign)
        kept = ("the Inspector is kept or passed on; run the code that uses it through `await "
                "conn.run_sync(fn)` by hand (fn receives the sync connection and calls `inspect()` on it)")
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target,
                                                                                          cst.Name)
                and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return kept
        block = self.evidence.parent(statement)
        if not isinstance(block, cst.IndentedBlock):
            return kept
        name = assign.targets[0].target.value
        scope = metadata_value(self.evidence.scopes, assign.targets[0].target)
        if scope is None or len(scope[name]) != 1:
            return "the inspector's name is bound more than once; convert by hand"
        accesses = [a.node for a in next(iter(scope[name])).references]
        uses = []
        for access in accesses:
            attribute = self.evidence.parent(access)
            call = self.evidence.parent(attribute)
            if not (isinstance(attribute, cst.Attribute) and attribute.value is access
                    and isinstance(call, cst.Call) and call.func is attribute):
                return kept
            uses.append(call)
        if not uses:
            return "the inspector is never used; remove it by hand"
        index = list(block.body).index(statement)
        last = None
        for call in uses:
            holder = call
            while holder is not None and self.evidence.parent(holder) is not block:
                holder = self.evidence.parent(holder)
            if holder is None or list(block.body).index(holder) <= index:
                return kept
            position = list(block.body).index(holder)
            last = holder if last is None or position > list(block.body).index(last) else last
        return statement, tuple(uses), last


def _inside(evidence, node: cst.CSTNode, block: cst.CSTNode) -> bool:
    current = evidence.parent(node)
    while current is not None and current is not block:
        current = evidence.parent(current)
    return current is block


def _method_call(evidence, node: cst.Call) -> cst.Call | None:
    """`inspect(engine).method(...)`: the method call, or None when the inspector is used otherwise."""
    attribute = evidence.parent(node)
    call = evidence.parent(attribute)
    if isinstance(attribute, cst.Attribute) and attribute.value is node and isinstance(call, cst.Call) \
            and call.func is attribute:
        return call
    return None


def _needs_parentheses(evidence, call: cst.Call) -> bool:
    parent = evidence.parent(call)
    if isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is call:
        return True
    return isinstance(parent, cst.Call) and parent.func is call


def _start(where) -> tuple[int, int]:
    return where.start.line, where.start.column
