"""From one `session.query(...)` call to every edit that converts it, including queries kept in variables.

A query stored in a local variable is converted only when its whole life is visible in the
function: every binding of the variable is a query chain (`q = db.query(X)`, `q = q.filter(...)`)
and every read extends, executes, iterates or embeds it. Anything else (returned, passed to a
helper, stored on `self`, read by a nested function) leaves the flow alone, with the reason; the
one exception is a query handed to a function that params.py converts together with its
callers, and the flow of that function's query parameter itself (`parameter`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import libcst as cst
from libcst.metadata import Assignment, FunctionScope, Scope

from ..core.evidence import ReceiverEvidence
from ..core.nodes import metadata_value
from ..core.receivers import Evidence, Kind
from .chain import JOINS, RETURNED, Chain, Origin, Unsupported, Use, passed_to, read_chain
from .params import CALLERS_ENTITY, Candidate, bound_value, entity_problem
from .plan import Planner
from .statements import History, Plan

SHAPE_STEPS = frozenset({"with_entities", "add_columns", "add_entity"})


@dataclass(frozen=True)
class Site:
    """One node the rewrite replaces, and the plan that says with what."""

    node: cst.BaseExpression
    plan: Plan


@dataclass(frozen=True)
class Conversion:
    """Everything one Q101 finding stands for: the edits that convert its chain or its whole flow."""

    sites: tuple[Site, ...]
    variable: str | None = None
    # Calls the query is handed to, with the session each must now receive first (params.py).
    arguments: tuple[tuple[cst.Call, cst.BaseExpression], ...] = ()
    # The function whose query parameter this flow is: it receives the session too.
    parameter: Candidate | None = None
    # What the flow queries and every step applied to it (the shape a callee receives).
    entities: tuple[cst.Arg, ...] = ()
    steps: tuple = ()
    # The expressions of the `return` statements that hand the query to the caller (returns.py).
    returned: tuple[cst.BaseExpression, ...] = ()


class FlowAnalysis:
    def __init__(self, parents: Mapping[cst.CSTNode, cst.CSTNode], source_index: Callable[[cst.CSTNode], int],
                 scopes, session_evidence: Callable[[cst.BaseExpression], Evidence | None], planner: Planner,
                 target: str, code: Callable[[cst.CSTNode], str], await_problem: Callable[[cst.CSTNode], str | None],
                 passes: Callable[[Use], str | None] = lambda use: passed_to(use.call),
                 returns: Callable[[Use], str | None] = lambda use: RETURNED,
                 origin_of: Callable[[cst.BaseExpression], Origin | None] = lambda head: None) -> None:
        self.parents = parents
        # A node's place in `parents` (ReceiverEvidence.source_index: numbered once per file, not per analysis).
        self.source_index = source_index
        self.scopes = scopes
        self.session_evidence = session_evidence
        self.planner = planner
        self.target = target
        self.code = code
        # Why `await` cannot go at a node (None: the function is, or async coloring makes it, async).
        self.await_problem = await_problem
        # Why a query may not be handed to a call (None: params.py converts the callee with it).
        self.passes = passes
        # Why a query may not be returned (None: returns.py converts the callers with it).
        self.returns = returns
        # What a head starts when it is not a plain `session.query(...)` (Flask-SQLAlchemy's `Model.query` and
        # `db.session.query(...)`); None: read_chain's default.
        self.origin_of = origin_of
        self._flows: dict[tuple[int, str], Conversion | Unsupported] = {}

    def convert(self, origin: cst.BaseExpression) -> Conversion | Unsupported:
        chain = read_chain(origin, self.parents, self.origin_of(origin))
        if isinstance(chain, Unsupported):
            return chain
        if chain.use.kind == "assign":
            scope = metadata_value(self.scopes, origin)
            key = (id(scope), chain.use.variable)
            if key not in self._flows:
                self._flows[key] = self._flow(chain, scope)
            return self._flows[key]
        if chain.use.kind in ("pass", "return"):
            problem = self.passes(chain.use) if chain.use.kind == "pass" else self.returns(chain.use)
            if problem:
                return Unsupported(problem)
        plan = self.planner.plan(chain, History(chain.session, chain.entities, flask=chain.origin.flask))
        if isinstance(plan, Unsupported):
            return plan
        arguments = ((chain.use.call, chain.session),) if chain.use.kind == "pass" else ()
        returned = (chain.use.node,) if chain.use.kind == "return" else ()
        conversion = Conversion((Site(chain.use.node, plan),), arguments=arguments, entities=chain.entities,
                                steps=chain.steps, returned=returned)
        problem = self.target_problem(conversion, [chain.session])
        return Unsupported(problem) if problem else conversion

    # -- flows --------------------------------------------------------------------------------
    def _flow(self, first: Chain, scope: Scope | None) -> Conversion | Unsupported:
        variable = first.use.variable
        if not isinstance(scope, FunctionScope):
            return Unsupported(f"the query is kept in `{variable}` outside a function; sqlasync follows queries "
                               "in local variables only")
        definitions: list[Chain] = []
        assignments = self._in_source_order(scope.assignments[variable])
        function = self._function_of(first.use.node)
        shadowed = self._shadowed_parameter(function, assignments, variable)
        for assignment in assignments:
            if shadowed is not None and assignment is shadowed[0]:
                continue
            chain = self._definition(assignment, variable)
            if isinstance(chain, Unsupported):
                return chain
            definitions.append(chain)
        flask = any(chain.flask for chain in definitions)
        uses = self._reads(assignments, variable, function, flask, shadowed[1] if shadowed is not None else ())
        if isinstance(uses, Unsupported):
            return uses
        for chain in uses:
            problem = self.passes(chain.use) if chain.use.kind == "pass" else (
                self.returns(chain.use) if chain.use.kind == "return" else None)
            if problem:
                return Unsupported(f"`{variable}`: {problem}")
        origins = [chain for chain in definitions if chain.is_origin]
        problem = self._origin_problem(origins, definitions, variable)
        if problem:
            return Unsupported(problem)
        origin = next((chain for chain in origins if chain.origin.returned), origins[0])
        all_steps = [step for chain in definitions for step in chain.steps]
        join_target = self._join_target(origins, definitions, variable)
        sites: list[Site] = []
        for chain in definitions + uses:
            own = {id(step) for step in chain.steps}
            earlier = tuple(step for step in all_steps if id(step) not in own)
            joined = join_target if any(s.name in JOINS for s in earlier) else None
            plan = self.planner.plan(chain, History(origin.session, origin.entities, earlier, joined,
                                                    origin.origin.flask))
            if isinstance(plan, Unsupported):
                return Unsupported(f"`{variable}`: {plan.reason}")
            sites.append(Site(chain.use.node, plan))
        # An access is a reference of every binding that may reach it: one argument per call.
        passed = {id(chain.use.call): chain.use.call for chain in uses if chain.use.kind == "pass"}
        arguments = tuple((call, origin.session) for call in passed.values())
        returned = tuple({id(c.use.node): c.use.node for c in uses if c.use.kind == "return"}.values())
        conversion = Conversion(tuple(sites), variable, arguments, entities=origin.entities,
                                steps=tuple(all_steps), returned=returned)
        problem = self.target_problem(conversion, [chain.session for chain in origins])
        return Unsupported(problem) if problem else conversion

    def _reads(self, assignments, variable: str, function, flask: bool = False,
               parameter_reads=()) -> list[Chain] | Unsupported:
        """The chains that start at each read of `variable` in `function` (its re-assignments excepted, and the
        reads of the parameter it shadows); `flask`: the variable holds Flask-SQLAlchemy's Query."""
        reads: list[Chain] = []
        skipped = {id(node) for node in parameter_reads}
        for assignment in assignments:
            for access in assignment.references:
                if id(access.node) in skipped:
                    continue
                if self._function_of(access.node) is not function:
                    return Unsupported(f"`{variable}` is read by a nested function; convert by hand")
                chain = read_chain(access.node, self.parents, flask=flask)
                if isinstance(chain, Unsupported):
                    return Unsupported(f"`{variable}`: {chain.reason}")
                if chain.use.kind == "assign":
                    if chain.use.variable != variable:
                        return Unsupported(f"the query in `{variable}` is copied into `{chain.use.variable}`")
                    continue
                reads.append(chain)
        return reads

    def _shadowed_parameter(self, function, assignments, variable: str):
        """A parameter the query variable shadows (`def get_latest(cls, query): ... query = cls.query...`): the
        parameter's assignment and the reads of it, when every one of them comes before the first statement of the
        function's body that binds the query, that statement binds it on every path and reads no `variable`, so
        that every later read sees a query. None: no such parameter, or the reads are not that simple."""
        if not isinstance(function, cst.FunctionDef) or not isinstance(function.body, cst.IndentedBlock):
            return None
        params = [a for a in assignments if isinstance(a, Assignment) and isinstance(a.node, cst.Param)]
        if len(params) != 1:
            return None
        others = [a.node for a in assignments if a is not params[0]]
        statements = list(function.body.body)
        first = next((i for i, statement in enumerate(statements)
                      if any(self._inside(node, statement) for node in others)), None)
        if first is None or not self._binds_on_every_path(statements[first], variable):
            return None
        accesses = {id(access.node): access.node for a in assignments for access in a.references}.values()
        before = [node for node in accesses if any(self._inside(node, s) for s in statements[:first])]
        if any(self._inside(node, statements[first]) for node in accesses):
            return None
        return params[0], tuple(before)

    def _inside(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current = node
        while current is not None:
            if current is ancestor:
                return True
            current = self.parents.get(current)
        return False

    def _binds_on_every_path(self, statement: cst.CSTNode, variable: str) -> bool:
        """`variable = ...` as a statement, or an `if` whose every branch (an `else` included) binds it so in its
        own block."""
        if isinstance(statement, cst.SimpleStatementLine):
            return any(isinstance(small, cst.Assign) and len(small.targets) == 1
                       and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == variable
                       for small in statement.body)
        if isinstance(statement, cst.If):
            branch = statement.orelse
            if branch is None:
                return False
            otherwise = self._binds_on_every_path(branch, variable) if isinstance(branch, cst.If) else \
                self._block_binds(branch.body, variable)
            return otherwise and self._block_binds(statement.body, variable)
        return False

    def _block_binds(self, block: cst.BaseSuite, variable: str) -> bool:
        if isinstance(block, cst.SimpleStatementSuite):
            return self._binds_on_every_path(cst.SimpleStatementLine(block.body), variable)
        return any(self._binds_on_every_path(statement, variable) for statement in block.body)

    def parameter(self, candidate: Candidate) -> Conversion | Unsupported:
        """The flow of a function's query parameter, run by the session the function receives with it."""
        function = candidate.function
        variable = candidate.param.name.value
        scope = metadata_value(self.scopes, candidate.param.name)
        if not isinstance(scope, FunctionScope):
            return Unsupported(f"`{variable}` is not a parameter sqlasync can follow")
        definitions: list[Chain] = []
        assignments = self._in_source_order(scope.assignments[variable])
        for assignment in assignments:
            if assignment.node not in (candidate.param, candidate.param.name):
                chain = self._definition(assignment, variable)
                if isinstance(chain, Unsupported):
                    return chain
                definitions.append(chain)
        uses = self._reads(assignments, variable, function)
        if isinstance(uses, Unsupported):
            return uses
        for chain in uses:
            if chain.use.kind in ("pass", "return", "get", "update", "delete"):
                return Unsupported(f"`{variable}`: `{function.name.value}()` hands the query on or runs "
                                   f"`{chain.use.kind}` on it; convert by hand")
        session = cst.Name(candidate.session)
        all_steps = [step for chain in definitions for step in chain.steps]
        sites: list[Site] = []
        for chain in definitions + uses:
            problem = entity_problem(chain.steps)
            if problem:
                return Unsupported(f"`{variable}`: {problem}")
            own = {id(step) for step in chain.steps}
            earlier = tuple(step for step in all_steps if id(step) not in own)
            plan = self.planner.plan(chain, History(session, (CALLERS_ENTITY,), earlier))
            if isinstance(plan, Unsupported):
                return Unsupported(f"`{variable}`: {plan.reason}")
            sites.append(Site(chain.use.node, plan))
        conversion = Conversion(tuple(sites), variable, parameter=candidate)
        problem = self.target_problem(conversion, [])
        return Unsupported(problem) if problem else conversion

    def _in_source_order(self, assignments) -> list:
        """LibCST hands a name's assignments out as a set ordered by memory address: the reason given for the first
        unsupported one changed from process to process. (The parents were recorded in the order of a visit.)"""
        return sorted(assignments, key=lambda assignment: self.source_index(assignment.node))

    def _definition(self, assignment, variable: str) -> Chain | Unsupported:
        node = assignment.node if isinstance(assignment, Assignment) else None
        target = self.parents.get(node) if node is not None else None
        statement = self.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        if not (isinstance(statement, cst.Assign) and len(statement.targets) == 1):
            return Unsupported(f"`{variable}` is also bound by something other than `{variable} = <query>`")
        head = self._head(statement.value, variable)
        if head is None:
            return Unsupported(f"`{variable}` is also assigned something that is not a query")
        chain = read_chain(head, self.parents, None if isinstance(head, cst.Name) else self.origin_of(head))
        if isinstance(chain, Unsupported):
            return Unsupported(f"`{variable}`: {chain.reason}")
        if chain.use.node is not statement.value or chain.use.kind != "assign":
            return Unsupported(f"`{variable}` is also assigned the result of running a query")
        return chain

    def _head(self, value: cst.BaseExpression, variable: str) -> cst.BaseExpression | None:
        node = value
        while True:
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                if node.func.attr.value == "query" and self.session_evidence(node.func.value) is not None:
                    return node
                if node.func.attr.value != "query" and self.origin_of(node) is not None:
                    return node  # a call of a function returning a query its callers finish (returns.py)
                node = node.func.value
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                return node if self.origin_of(node) is not None else None
            elif isinstance(node, cst.Attribute):
                if node.attr.value == "query" and self.origin_of(node) is not None:
                    return node
                node = node.value
            elif isinstance(node, cst.Name) and node.value == variable:
                return node
            else:
                return None

    def _join_target(self, origins: list[Chain], definitions: list[Chain],
                     variable: str) -> cst.BaseExpression | Unsupported | None:
        """The class a later `filter_by()` binds to: the last join target, when every path joins the same way."""
        if any(step.name in JOINS for chain in definitions if not chain.is_origin for step in chain.steps):
            return Unsupported(f"`filter_by()` on `{variable}` after joins added along some paths only")
        last = [next((s for s in reversed(chain.steps) if s.name in JOINS), None) for chain in origins]
        if all(step is None for step in last):
            return None
        if any(step is None for step in last) or len({self.code(step.call.args[0].value) for step in last}) > 1:
            return Unsupported(f"`filter_by()` on `{variable}` after different joins along different paths")
        return self.planner.join_target(last[0])

    def _origin_problem(self, origins: list[Chain], definitions: list[Chain], variable: str) -> str | None:
        if not origins:
            return f"`{variable}` never receives a `session.query(...)`"
        sessions = {self.code(chain.session) for chain in origins}
        # A call of a function returning a Flask-SQLAlchemy query (returns.py) may share the variable with
        # `Model.query` of the class it selects (`groups = Group.all(org)` / `groups = Group.query.filter(...)`):
        # the repository checked that the class is the same (query_returns.approve_flask).
        returned = {id(chain.entities[0]) for chain in origins if chain.origin.returned}
        plain = [chain for chain in origins if not chain.origin.returned]
        entities = {tuple(self.code(arg) for arg in chain.entities) for chain in plain}
        if len(sessions) > 1 or len(entities) > 1 or len(returned) > 1:
            return f"`{variable}` is bound to queries of different sessions or entities along different paths"
        if returned and plain and not (len(plain[0].entities) == 1 and not plain[0].entities[0].star
                                       and plain[0].entities[0].keyword is None):
            return f"`{variable}` is bound to queries of different entities along different paths"
        if len(definitions) > 1 and any(step.name in SHAPE_STEPS for chain in definitions for step in chain.steps):
            return (f"the row shape of `{variable}` changes (`with_entities()`/`add_columns()`) along some paths; "
                    "convert by hand")
        return None

    # -- targets ------------------------------------------------------------------------------
    def target_problem(self, conversion: Conversion, sessions: list[cst.BaseExpression]) -> str | None:
        executing = [site for site in conversion.sites if site.plan.finish.executes]
        if self.target == "sync":
            for session in sessions:
                evidence = self.session_evidence(session)
                if evidence is not None and evidence.kind is Kind.ASYNC_SESSION:
                    return "the session is an AsyncSession; use `--target async`"
            return None
        for session in sessions:
            evidence = self.session_evidence(session)
            if evidence is not None and evidence.stays_sync is not None:
                return evidence.stays_sync
        for site in executing:
            problem = self.await_problem(site.node)
            if problem:
                return problem
        return None

    def _function_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.Lambda)):
            current = self.parents.get(current)
        return current


# -- the repository scan (params.py, returns.py) ---------------------------------------
def scan_flows(evidence: ReceiverEvidence):
    """Q's flow analysis as the repository scan runs it: any query may be handed to a call or returned (what each
    call passes, and which methods return one, is recorded, and the coloring decides), and `await` may go wherever a
    function could become async."""
    from ..core.await_sites import await_problem

    def code(node: cst.CSTNode) -> str:
        return cst.Module([]).code_for_node(node)

    planner = Planner(partial(bound_value, evidence), code)
    return FlowAnalysis(evidence.parents, evidence.source_index, evidence.scopes, evidence.session, planner, "async",
                        code, partial(await_problem, _EveryFunctionAsync(evidence)), lambda use: None, lambda use: None)


class _EveryFunctionAsync:
    """The view of a file in which any function may become async (the scan cannot know which will)."""

    def __init__(self, evidence: ReceiverEvidence) -> None:
        self.evidence = evidence

    def async_blocker(self, function: cst.FunctionDef) -> str | None:
        return None
