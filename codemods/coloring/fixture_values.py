"""F113: `request.getfixturevalue("name")` of a fixture that is async after the run (or requests one that is), inside
a test or fixture that is async after it, becomes a parameter: an async fixture can only be set up by the test runner
before the test's event loop runs it, never from inside the running test (anyio: "This event loop is already
running")."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..core.functions import own_nodes, qualname_of
from ..core.nodes import string_value

CODE = "F113"


@dataclass(frozen=True)
class RequestedFixture:
    """Request the fixture `name` as a parameter of `function` and use that parameter where `call` was."""

    call: cst.Call
    function: cst.FunctionDef
    name: str


def recognise(rec) -> None:
    for node in rec.evidence.parents:
        if not _is_request(node):
            continue
        function = rec.evidence.enclosing(node, cst.FunctionDef)
        if function is None or rec.coloring.roles.get((rec.path, qualname_of(function, rec.evidence.parents))) \
                not in ("test", "fixture") or not rec.will_be_async_here(node):
            continue
        shown = cst.Module([]).code_for_node(node)
        argument = node.args[0].value
        name = string_value(argument)
        if name is None:
            # `"a" if x else "b"`: reported when one of them is async; any other computed name always.
            named = [string_value(branch) for branch in _branches(argument)]
            if not named or any(_async_fixture(rec, each) for each in named):
                rec.report(CODE, node, f"`{shown}` may set up an async fixture from inside the running test",
                           reason="the fixture's name is computed; request each fixture it may name as a parameter")
            continue
        if not _async_fixture(rec, name):
            continue
        message = (f"`{shown}` sets up `{name}`, an async fixture or one over an async fixture, from inside the "
                   "running test, which its event loop cannot do: request it as a parameter")
        if node.args[0].keyword is not None or len(node.args) != 1 or not name.isidentifier() \
                or _shadowed(function, name):
            rec.report(CODE, node, message, reason=f"`{name}` cannot become a parameter here; request it by hand")
        else:
            rec.report(CODE, node, message, fixable=True, data=RequestedFixture(node, function, name))


def _async_fixture(rec, name: str | None) -> bool:
    """Is the fixture `name` a test in this file receives async after the run, or does it request one that is
    (mealie's sync `admin_user(session, api_client)` over an async `session`)? Either must be set up on the loop."""
    index, coloring = rec.coloring.index, rec.coloring
    pending = [index.fixture(name, rec.path)] if name is not None else []
    seen = set()
    while pending:
        fixture = pending.pop()
        if fixture is None or fixture in seen:
            continue
        seen.add(fixture)
        if coloring.awaited_after(fixture):
            return True
        facts = index.function(fixture)
        pending.extend(index.fixture(param, fixture[0]) for param, _ in (facts.params if facts is not None else ())
                       if param != "request")
    return False


def _branches(argument: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values a conditional expression of string literals may take; nothing for other computed names."""
    if isinstance(argument, cst.IfExp):
        branches = [*_branches(argument.body), *_branches(argument.orelse)]
        return branches if len(branches) >= 2 else []
    return [argument] if isinstance(argument, (cst.SimpleString, cst.ConcatenatedString)) else []


def _is_request(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
        and node.func.attr.value == "getfixturevalue" and bool(node.args)


def _shadowed(function: cst.FunctionDef, name: str) -> bool:
    """Does the function spell `name` anywhere (`admin_user = ...`, `obj.admin_user`) without a parameter of that
    name? Then a new parameter could change what the code reads: the call is left, with the reason."""
    params = function.params
    if any(p.name.value == name for p in (*params.posonly_params, *params.params, *params.kwonly_params)):
        return False
    return any(isinstance(n, cst.Name) and n.value == name for n in own_nodes(function))


def owns(data: object) -> bool:
    return isinstance(data, RequestedFixture)


def plan(data: RequestedFixture, edits) -> None:
    requested = edits.memo.setdefault(("requested fixtures", id(data.function)), [])
    if not requested:
        edits.replacements[id(data.function)] = lambda updated: with_parameters(updated, requested)
    if data.name not in requested:
        requested.append(data.name)
    edits.replacements[id(data.call)] = lambda updated, name=data.name: cst.Name(name)


def with_parameters(function: cst.FunctionDef, names: list[str]) -> cst.FunctionDef:
    """`def test(request, use_admin)` -> `def test(request, use_admin, admin_user)` for each name not there yet
    (also how a fixture that becomes async requests `anyio_backend`, rewrite.py)."""
    params = function.params
    present = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    added = [cst.Param(cst.Name(name)) for name in names if name not in present]
    if not added:
        return function
    positional = list(params.params)
    if positional:
        positional[-1] = positional[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    for index in range(len(added) - 1):
        added[index] = added[index].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return function.with_changes(params=params.with_changes(params=[*positional, *added]))
