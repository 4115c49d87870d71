"""Which asyncpg code in a file is converted, and how: the plan shared by `check` and `migrate`.

Where the session comes from. The pool a function uses only ever selected the database; a session
from the configured async session factory (`session-factory` in [tool.sqlasync], or an
`async_sessionmaker` / `SessionLocal` the file defines or imports) takes its place, and the function's
signature does not change, so callers that still hand it a pool keep working while they are migrated
one by one (a half-migrated repository runs). Connection scopes map one to one:

* `async with pool.acquire() as conn:`  -> `async with SessionLocal() as db:`
* `async with conn.transaction():`      -> `async with db.begin():` (`begin_nested()` when nested)
* a statement on `conn` outside any transaction autocommitted in asyncpg: it gets its own
  `async with db.begin():` (an acquire block holding just that one statement becomes
  `async with SessionLocal.begin() as db:`)
* `await pool.fetch(...)` (the pool acquires a connection for one statement, which autocommits):
  the statement is wrapped in `async with SessionLocal.begin() as db:`.

A connection that comes from elsewhere (a parameter, `await pool.acquire()`, `asyncpg.connect()`)
carries its caller's transaction; replacing it needs the caller's session, so such code is reported.

The unit of conversion is the function: if any asyncpg use in it cannot be converted, none is, and
every site says why. Functions whose rows reach the same helper (which must change, e.g. to stop
decoding JSON) are converted together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import Assignment

from ..coloring import loop_driver_converts
from ..core.nodes import dotted_name, metadata_value
from ..core.receivers import ASYNC_FACTORIES, SYNC_FACTORIES, Kind
from ..core.family import FileContext
from .rows import FlowAnalysis, HelperUse
from ..core.session_sources import Source, session_factory_source
from .plan_calls import _Calls
from .units import NEVER_HALF, AcquireUnit, FilePlan, HelperPlan, Site, StatementUnit, Unconvertible, Unit


def build_plan(context: FileContext, sites: list[Site]) -> FilePlan:
    return _Planner(context).plan(sites)


class _Planner(_Calls):
    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.evidence = context.evidence
        self.flows = FlowAnalysis(context.evidence)

    def plan(self, sites: list[Site]) -> FilePlan:
        factory, factory_problem = self._factory()
        result = FilePlan(factory)
        by_function: dict[int, tuple[cst.FunctionDef | None, list[Site]]] = {}
        for site in sites:
            function = self.evidence.enclosing(site.call, cst.FunctionDef)
            by_function.setdefault(id(function), (function, []))[1].append(site)
        converted: dict[int, list[Unit]] = {}
        for function, function_sites in by_function.values():
            if factory_problem:
                self._leave(result, function_sites, factory_problem)
                continue
            units, problems = self._function_units(function, function_sites)
            if problems:
                first = next(iter(problems.values()))
                name = f"`{function.name.value}`" if function is not None else "this module"
                for site in function_sites:
                    result.reasons[id(site.call)] = problems.get(id(site.call)) or (
                        f"left as asyncpg with the rest of {name}, which holds a call that cannot be converted "
                        f"({first}); {NEVER_HALF}")
            else:
                converted[id(function)] = units
        self._couple_through_helpers(result, by_function, converted)
        for units in converted.values():
            for unit in units:
                result.units.append(unit)
                for site in unit.sites:
                    result.unit_of[id(site.call)] = unit
        return result

    # -- where the session comes from -------------------------------------------------------------
    def _factory(self) -> tuple[Source | None, str | None]:
        if self.context.target != "async":
            return None, ("asyncpg code is async: it converts to an AsyncSession under the async target only "
                          "(this run targets sync)")
        source = session_factory_source(self.context.module, self.context.config)
        if source is None:
            return None, ("no async session factory is known here to replace the pool: set session-factory = "
                          "\"package.module:AsyncSessionLocal\" in [tool.sqlasync], or import it in this file")
        if source.needs is None and source.where == "this file" and self._defined_sync(source.name):
            return None, (f"`{source.name}` in this file is a sync sessionmaker; convert it first (E102) or set "
                          "session-factory in [tool.sqlasync]")
        return source, None

    def _defined_sync(self, name: str) -> bool:
        for statement in self.context.module.body:
            for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and any(
                        isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets):
                    names = self.evidence.qualified(small.value.func)
                    return bool(names & SYNC_FACTORIES) and not names & ASYNC_FACTORIES
        return False

    # -- one function ------------------------------------------------------------------------
    def _function_units(self, function: cst.FunctionDef | None,
                        sites: list[Site]) -> tuple[list[Unit], dict[int, str]]:
        """The function's session units, and the problem of each site that cannot be converted (by call)."""
        if function is None:
            return [], {id(s.call): "at module level, which cannot open a session; move it into an async function"
                        for s in sites}
        if function.asynchronous is None and not loop_driver_converts(self.context, function):
            return [], {id(s.call): f"`{function.name.value}` is not async: asyncpg calls here are never awaited"
                        for s in sites}
        acquires: dict[int, AcquireUnit] = {}
        statements: dict[int, StatementUnit] = {}
        problems: dict[int, str] = {}
        for site in sites:
            try:
                self._place(site, function, acquires, statements)
            except Unconvertible as problem:
                problems[id(site.call)] = str(problem)
        for unit in acquires.values():
            try:
                self._check_acquire(unit)
            except Unconvertible as problem:
                for site in unit.sites:
                    problems.setdefault(id(site.call), str(problem))
        units: list[Unit] = [*acquires.values(), *statements.values()]
        self._name_sessions(function, units)
        return units, problems

    def _place(self, site: Site, function: cst.FunctionDef, acquires: dict[int, AcquireUnit],
               statements: dict[int, StatementUnit]) -> None:
        """Put `site` into the session unit it belongs to."""
        if site.code == "R101":
            raise Unconvertible("`asyncpg.create_pool()` is replaced by hand: during the transition point it at "
                                "`sqlasync.compat` (`compat.configure(DATABASE_URL).asyncpg_pool()`), then remove it")
        if site.code in ("R102", "R104") or (site.evidence is not None
                                              and site.evidence.kind is Kind.ASYNCPG_CONNECTION):
            block = self._acquire_block(site.call) if site.code == "R102" \
                else self._block_of_connection(site.call.func.value)
            unit = acquires.setdefault(id(block), AcquireUnit(function, [], [], block=block))
            unit.sites.append(site)
            if site.code == "R103":
                unit.queries.append(self._query(site, function))
            return
        query = self._query(site, function)
        statement = self._statement_of(query.awaited)
        unit = statements.setdefault(id(statement), StatementUnit(function, [], [], statement=statement))
        unit.sites.append(site)
        unit.queries.append(query)

    def _acquire_block(self, call: cst.Call) -> cst.With:
        item = self.evidence.parent(call)
        block = self.evidence.parent(item) if isinstance(item, cst.WithItem) else None
        if not isinstance(block, cst.With) or block.asynchronous is None:
            raise Unconvertible("the connection is taken with `await pool.acquire()` and released by hand; only "
                                "`async with pool.acquire() as conn:` blocks are converted")
        if len(block.items) != 1 or block.items[0].asname is None or \
                not isinstance(block.items[0].asname.name, cst.Name):
            raise Unconvertible("`async with pool.acquire()` shares its `with` with other items or binds no name")
        return block

    def _block_of_connection(self, receiver: cst.BaseExpression) -> cst.With:
        """The `async with pool.acquire() as conn:` that bound the connection `receiver` names."""
        described = dotted_name(receiver) or "the connection"
        if not isinstance(receiver, cst.Name):
            raise Unconvertible(f"`{described}` is not a local connection from `async with pool.acquire()`")
        scope = metadata_value(self.evidence.scopes, receiver)
        bindings = [a for a in scope[receiver.value] if isinstance(a, Assignment)] if scope is not None else []
        if len(bindings) != 1:
            raise Unconvertible(f"`{described}` is bound more than once or not in this module")
        binding = bindings[0].node
        if isinstance(binding, cst.Param):
            raise Unconvertible(f"`{described}` is a connection handed in by the caller, whose transaction it "
                                "carries; give the function an AsyncSession parameter once its callers have one")
        as_name = self.evidence.parent(binding)
        item = self.evidence.parent(as_name) if isinstance(as_name, cst.AsName) else None
        call = item.item if isinstance(item, cst.WithItem) else None
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "acquire"):
            raise Unconvertible(f"`{described}` does not come from `async with pool.acquire() as "
                                f"{described}:` (only such blocks are converted)")
        return self._acquire_block(call)

    def _check_acquire(self, unit: AcquireUnit) -> None:
        block = unit.block
        name = block.items[0].asname.name
        function = self.evidence.enclosing(block, cst.FunctionDef)
        # Calls reported as sites; one that cannot be converted already carries its own reason.
        convertible_calls = {id(site.call) for site in unit.sites if site.code == "R103"}
        transaction_calls = {id(s.call) for s in unit.sites if s.code == "R104"}
        for reference in _references(self.evidence, name):
            attribute = self.evidence.parent(reference)
            call = self.evidence.parent(attribute) if isinstance(attribute, cst.Attribute) else None
            if self.evidence.enclosing(reference, cst.FunctionDef) is not function:
                raise Unconvertible(f"`{name.value}` is used inside a nested function")
            if isinstance(call, cst.Call) and id(call) in convertible_calls:
                continue
            if isinstance(call, cst.Call) and id(call) in transaction_calls:
                unit.transactions[id(self._transaction_block(call))] = False
                continue
            raise Unconvertible(self._other_use(name.value, attribute))
        self._nest_transactions(unit)
        outside = []
        for query in unit.queries:
            if not self._inside_transaction(query.awaited, unit):
                statement = self._statement_of(query.awaited)
                if statement not in outside:
                    outside.append(statement)
        body = block.body.body if isinstance(block.body, cst.IndentedBlock) else ()
        if not unit.transactions and len(body) == 1 and outside == [body[0]]:
            unit.whole_block_commits = True
        else:
            unit.autocommit = outside

    def _other_use(self, name: str, parent: cst.CSTNode | None) -> str:
        if isinstance(parent, cst.Attribute):
            return f"`{name}.{parent.attr.value}` is used, which has no session equivalent here"
        call = self.evidence.parent(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(call, cst.Call):
            callee = dotted_name(call.func) or "a function"
            return f"`{name}` is passed to `{callee}()`, which expects an asyncpg connection"
        return f"`{name}` is used as a value beyond its fetch/execute/transaction calls"

    def _transaction_block(self, call: cst.Call) -> cst.With:
        item = self.evidence.parent(call)
        block = self.evidence.parent(item) if isinstance(item, cst.WithItem) else None
        if not (isinstance(block, cst.With) and block.asynchronous is not None and len(block.items) == 1
                and item.asname is None):
            raise Unconvertible("the transaction is not used as `async with conn.transaction():`")
        if call.args:
            raise Unconvertible("`transaction(isolation=..., readonly=..., deferrable=...)` options need "
                                "connection execution options; convert by hand")
        return block

    def _nest_transactions(self, unit: AcquireUnit) -> None:
        blocks = {key for key in unit.transactions}
        for site in unit.sites:
            if site.code != "R104":
                continue
            block = self._transaction_block(site.call)
            outer = self.evidence.parent(block)
            while outer is not None and outer is not unit.block:
                if isinstance(outer, cst.With) and id(outer) in blocks:
                    unit.transactions[id(block)] = True
                    break
                outer = self.evidence.parent(outer)

    def _inside_transaction(self, node: cst.CSTNode, unit: AcquireUnit) -> bool:
        current = self.evidence.parent(node)
        while current is not None and current is not unit.block:
            if isinstance(current, cst.With) and id(current) in unit.transactions:
                return True
            current = self.evidence.parent(current)
        return False

    def _statement_of(self, awaited: cst.Await) -> cst.SimpleStatementLine:
        """The statement line to wrap in a session block; not a compound statement's header."""
        child: cst.CSTNode = awaited
        parent = self.evidence.parent(child)
        while parent is not None and not isinstance(parent, cst.SimpleStatementLine):
            if isinstance(parent, (cst.BaseCompoundStatement, cst.SimpleStatementSuite)):
                raise Unconvertible("it sits in the header of a compound statement or on a one-line block; move "
                                    "the call into a statement of its own")
            if isinstance(parent, (cst.Lambda, cst.FunctionDef)):
                raise Unconvertible("it sits inside a lambda")
            child, parent = parent, self.evidence.parent(parent)
        if parent is None or not isinstance(self.evidence.parent(parent), cst.IndentedBlock):
            raise Unconvertible("it is not in a block a session can be opened around")
        return parent

    # -- session names -------------------------------------------------------------------------
    def _name_sessions(self, function: cst.FunctionDef, units: list[Unit]) -> None:
        taken = {node.value for node in names_in(function)}
        candidates = [n for n in self.context.config.session_names if len(n) > 1 and n not in taken] or ["db_session"]
        for unit in units:
            enclosing = {other.session for other in units if other is not unit and _encloses(self.evidence, other, unit)}
            unit.session = next((c for c in candidates if c not in enclosing), candidates[-1] + "_inner")

    # -- helpers shared between functions -------------------------------------------------------
    def _couple_through_helpers(self, result: FilePlan, by_function, converted: dict[int, list[Unit]]) -> None:
        """Rows reaching a helper that must change: convert only if every call of the helper is converted."""
        while True:
            helpers = _reaching(converted)
            blocked: dict[int, str] = {}
            for use, reaching in helpers.values():
                problem = self._unconverted_caller(use, converted) if use.must_change else None
                for key in reaching if problem else ():
                    blocked.setdefault(key, problem)
            if not blocked:
                break
            for key, problem in blocked.items():
                del converted[key]
                self._leave(result, by_function[key][1], problem)
        for use, reaching in _reaching(converted).values():
            # A helper also called with asyncpg records keeps its `asyncpg.Record` annotation.
            if not use.must_change and self._unconverted_caller(use, converted):
                use.edits.clear()
            if use.edits:
                result.helpers.append(HelperPlan(use, reaching))

    def _unconverted_caller(self, use: HelperUse, converted: dict[int, list[Unit]]) -> str | None:
        """Why not every call of the helper passes converted rows; None when all do."""
        name = use.function.name.value
        if not name.startswith("_"):
            return (f"its rows reach `{name}()`, which must stop decoding JSON (the dialect decodes it), but is "
                    f"public and may have callers in other modules; {NEVER_HALF}")
        reached = {call for units in converted.values() for other in _helper_uses(units)
                   if other.function is use.function for call in other.calls}
        for reference in _references(self.evidence, use.function.name, definition=use.function):
            call = self.evidence.parent(reference)
            if not (isinstance(call, cst.Call) and call.func is reference and id(call) in reached):
                owner = self.evidence.enclosing(reference, cst.FunctionDef)
                where = f"`{owner.name.value}`" if owner is not None else "module-level code"
                return (f"its rows reach `{name}()`, which must stop decoding JSON (the dialect decodes it), but "
                        f"{where} still hands it asyncpg records; {NEVER_HALF}")
        return None

    @staticmethod
    def _leave(result: FilePlan, sites: list[Site], problem: str) -> None:
        for site in sites:
            result.reasons[id(site.call)] = problem


def _reaching(converted: dict[int, list[Unit]]) -> dict[int, tuple[HelperUse, set[int]]]:
    """Each helper converted rows reach (its uses merged) and the functions whose rows reach it."""
    found: dict[int, tuple[HelperUse, set[int]]] = {}
    for key, units in converted.items():
        for use in _helper_uses(units):
            merged, reaching = found.setdefault(id(use.function), (HelperUse(use.function), set()))
            merged.calls |= use.calls
            merged.edits.extend(e for e in use.edits if all(e.node is not m.node for m in merged.edits))
            reaching.add(key)
    return found


def _helper_uses(units: Iterable[Unit]) -> Iterable[HelperUse]:
    for unit in units:
        for query in unit.queries:
            yield from query.flow.helpers.values()


def _references(evidence, name: cst.Name, definition: cst.CSTNode | None = None) -> list[cst.Name]:
    scope = metadata_value(evidence.scopes, name)
    if scope is None:
        return []
    found = []
    for assignment in scope.assignments[name.value]:
        if isinstance(assignment, Assignment) and assignment.node is (definition or name):
            found.extend(a.node for a in assignment.references if isinstance(a.node, cst.Name))
    return found


def names_in(node: cst.CSTNode) -> Iterable[cst.Name]:
    class Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            self.names: list[cst.Name] = []

        def visit_Name(self, name: cst.Name) -> None:
            self.names.append(name)

    collector = Collect()
    node.visit(collector)
    return collector.names


def _encloses(evidence, outer: Unit, inner: Unit) -> bool:
    outer_node = outer.block if isinstance(outer, AcquireUnit) else outer.statement
    inner_node = inner.block if isinstance(inner, AcquireUnit) else inner.statement
    current = evidence.parent(inner_node)
    while current is not None:
        if current is outer_node:
            return True
        current = evidence.parent(current)
    return False
