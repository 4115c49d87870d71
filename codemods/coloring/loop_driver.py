"""F110: a fixture that drives the event loop for sync tests (`run(coro)` over `loop.run_until_complete`).

Sync tests of an async data layer often get a session fixture whose value runs one coroutine to the end
on a loop of its own. Once the migration makes those tests async (F104), they already run on a loop, and
`run(...)` raises "Cannot run the event loop while another loop is running". The driver is dropped:
every test, fixture and helper that receives it becomes async, `run(expr)` becomes `await expr`, the
parameter and the argument handing it on go, and so does the fixture. The conversion happens only when
it is complete: every user of the driver is found (tests and fixtures that request it, module-level
helpers they hand it to), each one only calls it or hands it on, and all of them can become async.

The facts come from `scan` (per module, into ModuleFacts), the decision from `decide` (whole repository,
in the solver), the findings and edits from `recognise` and `plan` (per module).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ..core.functions import qualname_of
from ..core.nodes import dotted_name, nodes_under

LOOP_FACTORIES = frozenset({"asyncio.new_event_loop"})
DIRECT_RUNNERS = frozenset({"asyncio.run"})


# -- per module: which fixtures are drivers, how each function uses the callables it receives ---------

def scan(facts, parents, evidence) -> None:
    """Fill `facts.loop_drivers` (fixture qualname -> fixture name) and `facts.callable_params` (function
    qualname -> {parameter: ((helper, position), ...) it is handed to, or None when it escapes})."""
    for node in parents:
        if not isinstance(node, cst.FunctionDef):
            continue
        qualname = qualname_of(node, parents)
        function = facts.functions.get(qualname)
        if function is None:
            continue
        if function.role == "fixture" and _drives_loop(node, evidence):
            facts.loop_drivers[qualname] = function.fixture_name or node.name.value
        uses = _callable_params(node, parents)
        if uses:
            facts.callable_params[qualname] = uses


def _drives_loop(function: cst.FunctionDef, evidence) -> bool:
    """Its value is `asyncio.run`, or `<loop>.run_until_complete` of a loop it creates itself."""
    statements = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    loops: set[str] = set()
    value = None
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
                and isinstance(small.value, cst.Call) and _qualified(evidence, small.value.func) & LOOP_FACTORIES:
            loops.add(small.targets[0].target.value)
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Yield) and value is None:
            value = small.value.value
        elif isinstance(small, cst.Return) and value is None:
            value = small.value
    if value is None:
        return False
    if _qualified(evidence, value) & DIRECT_RUNNERS:
        return True
    return isinstance(value, cst.Attribute) and value.attr.value == "run_until_complete" \
        and isinstance(value.value, cst.Name) and value.value.value in loops


def _qualified(evidence, node: cst.CSTNode) -> set[str]:
    names = set(evidence.qualified(node) or ())
    text = dotted_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return names | ({text} if text else set())


def _callable_params(function: cst.FunctionDef, parents) -> dict[str, tuple | None]:
    """Parameters the body calls as `p(expr)` or hands to `helper(..., p, ...)`, and nothing else."""
    params = {p.name.value for p in function.params.params}
    # Dropping a keyword-only or positional-only parameter may leave a bare `*` or `/`: those stay.
    uses: dict[str, tuple | None] = {p.name.value: None for p in (*function.params.posonly_params,
                                                                   *function.params.kwonly_params)}
    for node in nodes_under(function.body):
        if not isinstance(node, cst.Name) or node.value not in params:
            continue
        name = node.value
        use = _use(node, function, parents)
        if use is None or uses.get(name, ()) is None:
            uses[name] = None
        elif use != "call":
            uses[name] = (*uses.get(name, ()), use)
        else:
            uses.setdefault(name, ())
    return uses


def _use(name: cst.Name, function: cst.FunctionDef, parents):
    """"call" for `p(expr)`, (helper, position) for `helper(..., p, ...)`, None for anything else."""
    current = parents.get(name)
    while current is not None and current is not function:
        # A closure, a lambda or a generator expression cannot await for the function.
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.GeneratorExp, cst.ClassDef)):
            return None
        current = parents.get(current)
    parent = parents.get(name)
    if isinstance(parent, cst.Call) and parent.func is name:
        return "call" if _single_argument(parent) else None
    if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
        call = parents.get(parent)
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and all(
                not a.star and a.keyword is None for a in call.args[:list(call.args).index(parent)]):
            return call.func.value, list(call.args).index(parent)
    return None


def _single_argument(call: cst.Call) -> bool:
    return len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star


# -- whole repository: which drivers go ------------------------------------------------------------------

@dataclass
class Drivers:
    removed: set = field(default_factory=set)          # driver fixtures that go
    refused: dict = field(default_factory=dict)        # driver fixture -> why it stays
    users: dict = field(default_factory=dict)          # function -> the driver parameter it loses


def decide(index, callers, values, migrated: frozenset[str], allowed: set) -> Drivers:
    drivers = Drivers()
    for path, summary in index.files.items():
        for qualname, name in summary.facts.loop_drivers.items():
            driver = (path, qualname)
            users: dict = {}
            problem = _collect(index, driver, name, users)
            if problem is None:
                problem = _check(index, callers, values, driver, users, migrated, allowed)
            if problem is None:
                drivers.removed.add(driver)
                drivers.users.update(users)
            else:
                drivers.refused[driver] = problem
    return drivers


def _collect(index, driver, name: str, users: dict) -> str | None:
    """Every function that receives the driver, with the parameter it receives it by."""
    queue = []
    for function, facts in index.functions():
        if facts.role in ("test", "fixture") and function != driver and any(p == name for p, _ in facts.params) \
                and index.fixture(name, function[0]) == driver:
            queue.append((function, name))
    while queue:
        function, param = queue.pop()
        if function in users:
            continue
        facts = index.function(function)
        if facts.is_async:
            return f"`{facts.name}` is already async and cannot call `{param}`"
        users[function] = param
        uses = index.files[function[0]].facts.callable_params.get(function[1], {}).get(param, ())
        if uses is None:
            return (f"`{facts.name}` takes `{param}` keyword- or positional-only, or uses it other than by calling "
                    "it with one argument or handing it on")
        for helper_name, position in uses:
            helper = (function[0], helper_name)
            helper_facts = index.function(helper)
            if helper_facts is None or helper_facts.class_qualname is not None or helper_facts.role is not None \
                    or position >= len(helper_facts.params):
                return f"`{facts.name}` hands `{param}` to `{helper_name}`, which is not a helper function of its module"
            queue.append((helper, helper_facts.params[position][0]))
    return None


def _check(index, callers, values, driver, users: dict, migrated, allowed) -> str | None:
    for function in users:
        name = index.function(function).name
        if function[0] not in migrated:
            return f"`{name}` in {function[0]} receives it and is not migrated"
        if function not in allowed:
            return f"`{name}` receives it and cannot become async"
        if index.function(function).role is None:
            if values.get(function):
                return f"helper `{name}` is used as a value"
            if any(caller.function not in users for caller in callers.get(function, ())):
                return f"helper `{name}` is also called by code that does not receive the driver"
    if driver[0] not in migrated:
        return f"{driver[0]} is not migrated"
    return None


# -- per module: findings and edits ----------------------------------------------------------------------

@dataclass(frozen=True)
class DropDriver:
    """Remove the driver fixture."""

    function: cst.FunctionDef


@dataclass(frozen=True)
class StopDriving:
    """In one user: `run(x)` -> `await x`, the parameter goes, and so does the argument handing it on."""

    function: cst.FunctionDef
    role: str | None
    param: cst.Param
    calls: tuple[tuple[cst.Call, bool], ...]
    handed: tuple[cst.Arg, ...]


def recognise(rec) -> None:
    drivers = rec.coloring.drivers
    path = rec.path
    for node in rec.evidence.parents:
        if not isinstance(node, cst.FunctionDef) or node.asynchronous is not None:
            continue
        function = (path, qualname_of(node, rec.evidence.parents))
        if function in drivers.removed:
            rec.report("F110", node.name, f"fixture `{node.name.value}` drives an event loop for sync tests, which "
                       "are async once migrated: every user awaits instead, and the fixture goes",
                       fixable=True, data=DropDriver(node))
        elif function in drivers.refused:
            rec.report("F110", node.name, f"fixture `{node.name.value}` drives an event loop for sync tests",
                       reason=f"{drivers.refused[function]}; convert its users by hand (`await` instead of "
                              "`run(...)`), see `sqlasync explain F110`")
        elif function in drivers.users:
            _user(rec, node, function, drivers.users[function], drivers)


def _user(rec, function: cst.FunctionDef, key, param_name: str, drivers) -> None:
    param = next(p for p in function.params.params if p.name.value == param_name)
    calls, handed = [], []
    helpers = {qualname: name for (path, qualname), name in drivers.users.items() if path == rec.path}
    for node in nodes_under(function.body):
        if not isinstance(node, cst.Name) or node.value != param_name:
            continue
        parent = rec.evidence.parent(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            calls.append((parent, _operand(rec.evidence.parent(parent), parent)))
        elif isinstance(parent, cst.Arg):
            call = rec.evidence.parent(parent)
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in helpers:
                handed.append(parent)
    rec.report("F110", param.name, f"`{param_name}` drives the event loop, which an async `{function.name.value}` "
               "already runs on: each `run(x)` becomes `await x`", fixable=True,
               data=StopDriving(function, rec.coloring.roles.get(key), param, tuple(calls), tuple(handed)))


def owns(data: object) -> bool:
    return isinstance(data, (DropDriver, StopDriving))


def plan(data: DropDriver | StopDriving, edits) -> None:
    if isinstance(data, DropDriver):
        edits.replacements[id(data.function)] = lambda updated: cst.RemoveFromParent()
        edits.module_edits.append(_without_unused_asyncio)
        return
    # Also when F101/F104 are not selected: a user that awaits must be async.
    edits.functions[id(data.function)] = data.role
    edits.replacements[id(data.param)] = lambda updated: cst.RemoveFromParent()
    for arg in data.handed:
        edits.replacements[id(arg)] = lambda updated: cst.RemoveFromParent()
    for call, parenthesize in data.calls:
        edits.replacements[id(call)] = lambda updated, p=parenthesize: _await(updated.args[0].value, p)


def _without_unused_asyncio(module: cst.Module) -> cst.Module:
    """`import asyncio` goes with the driver when nothing else in the module names asyncio."""
    body = list(module.body)
    position = next((i for i, s in enumerate(body) if isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1
                     and isinstance(s.body[0], cst.Import) and len(s.body[0].names) == 1
                     and s.body[0].names[0].asname is None
                     and cst.Module([]).code_for_node(s.body[0].names[0].name) == "asyncio"), None)
    if position is None or any(isinstance(n, cst.Name) and n.value == "asyncio"
                               for i, s in enumerate(body) if i != position for n in nodes_under(s)):
        return module
    removed = body.pop(position)
    if position < len(body):
        body[position] = body[position].with_changes(leading_lines=removed.leading_lines)
    return module.with_changes(body=body)


def _await(value: cst.BaseExpression, parenthesize: bool) -> cst.Await:
    if not isinstance(value, (cst.Call, cst.Attribute, cst.Name, cst.Subscript)) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Await(value, lpar=[cst.LeftParen()] if parenthesize else [],
                     rpar=[cst.RightParen()] if parenthesize else [])


def _operand(parent: cst.CSTNode | None, call: cst.Call) -> bool:
    """Is the call the operand of an attribute, subscript or call, where `await x` needs parentheses?"""
    return (isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is call) or (
        isinstance(parent, cst.Call) and parent.func is call)


def driven_call(context, node: cst.CSTNode) -> cst.Call | None:
    """The driver call `run(...)` that hands `node` on, in a function F110 converts (its coroutine is awaited
    once migrated, so other families may treat the call as the `await`)."""
    drivers = getattr(context.coloring, "drivers", None)
    arg = context.evidence.parent(node)
    call = context.evidence.parent(arg) if isinstance(arg, cst.Arg) else None
    if drivers is None or not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name) \
            or not _single_argument(call):
        return None
    function = context.evidence.enclosing(call, cst.FunctionDef)
    if function is None or function.asynchronous is not None:
        return None
    user = (str(context.path), qualname_of(function, context.evidence.parents))
    return call if drivers.users.get(user) == call.func.value else None


def converts(context, function: cst.FunctionDef) -> bool:
    """Does F110 make this sync function async (it receives a loop driver)?"""
    drivers = getattr(context.coloring, "drivers", None)
    return drivers is not None and (str(context.path), qualname_of(function, context.evidence.parents)) in drivers.users
