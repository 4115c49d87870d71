"""F106: the request's session handed to `background_tasks.add_task(...)`.

FastAPI finishes `yield` dependencies (closing the request's session) before background tasks run,
so a task must open a session of its own. Two kinds of site share the rule: each `add_task(task,
db, ...)` (the session argument is dropped) and the task function itself (its session parameter
becomes `async with <factory>() as <parameter>:` around its body). Both are fixed only together,
when every use of the task is such an `add_task` and the project has one session factory.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..core.functions import qualname_of
from ..core.docstrings import docstring_and_rest
from ..core.imports import Import
from ..core.session_sources import session_factory_source

SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.ext.asyncio.async_sessionmaker",
                               "sqlalchemy.orm.session.sessionmaker",
                               "sqlalchemy.ext.asyncio.session.async_sessionmaker"})


@dataclass(frozen=True)
class DropSessionArgument:
    call: cst.Call
    position: int  # index in call.args


@dataclass(frozen=True)
class OpenOwnSession:
    function: cst.FunctionDef
    parameter: str
    factory: str
    needs: Import | None


def recognise(rec) -> None:
    for node in rec.evidence.parents:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_task":
            _add_task(rec, node)
        elif isinstance(node, cst.FunctionDef):
            _task_function(rec, node)


def _add_task(rec, call: cst.Call) -> None:
    if not call.args or call.args[0].keyword is not None:
        return
    position = _session_position(rec, call)
    if position is None:
        return
    task = _task(rec, call)
    name = cst.Module([]).code_for_node(call.args[0].value)
    message = f"the request's session goes to the background task `{name}`, which runs after FastAPI closed it"
    problem = _problem(rec, task, position - 1)
    if problem:
        rec.report("F106", call, message, reason=problem)
    else:
        rec.report("F106", call, message + "; the task opens its own", fixable=True,
                   data=DropSessionArgument(call, position))


def _session_position(rec, call: cst.Call) -> int | None:
    for index, arg in enumerate(call.args[1:], start=1):
        if arg.keyword is None and not arg.star and rec.scanner.is_session(arg.value):
            return index
    return None


def _task(rec, call: cst.Call):
    entity = rec.coloring.index.resolve(rec.scanner.expr(call.args[0].value), rec.path)
    return (entity[1], entity[2]) if entity is not None and entity[0] == "function" else None


def _problem(rec, task, parameter_index: int) -> str | None:
    """Why the task cannot be given its own session automatically; None when it can."""
    coloring = rec.coloring
    if task is None:
        return "sqlasync cannot tell which function the task is; open a session inside it by hand"
    facts = coloring.index.function(task)
    if task[0] not in coloring.migrated:
        return f"the task is defined in {task[0]}, which this run does not migrate"
    if not coloring.awaited_after(task):
        return "the task stays sync; give it its own session by hand"
    if coloring.callers.get(task):
        return "the task is also called directly; give it its own session by hand"
    uses = coloring.values.get(task, [])
    if any(use.consumer != "background" for _, use in uses):
        return "the task is also used as a value elsewhere; give it its own session by hand"
    positional = [name for name, _ in facts.params]
    if facts.class_qualname is not None or parameter_index >= len(positional):
        return "the session does not map to a parameter of the task"
    if _factory(rec, task) is None:
        return "no unique session factory found: set `session-factory` in [tool.sqlasync]"
    return None


def _factory(rec, task) -> tuple[str, Import | None] | None:
    """How the task's module spells the session factory, and the import it needs for that."""
    summary = rec.coloring.index.files[task[0]]
    module = _module_of(rec, task[0])
    if module is not None:
        source = session_factory_source(module, rec.context.config)
        if source is not None:
            return source.name, source.needs
    found = []
    for path, other in rec.coloring.index.files.items():
        for name, expr in other.facts.names.items():
            if expr is not None and expr[0] == "call" and expr[1] is not None and expr[1][0] == "name" \
                    and expr[1][1] in SESSION_FACTORIES:
                found.append((other.location.module, name))
    if len(found) != 1:
        return None
    where, name = found[0]
    if where == summary.location.module:
        return name, None
    return name, Import(where, name)


def _module_of(rec, path: str) -> cst.Module | None:
    return rec.context.module if path == rec.path else None


def _task_function(rec, node: cst.FunctionDef) -> None:
    task = (rec.path, qualname_of(node, rec.evidence.parents))
    uses = [use for _, use in rec.coloring.values.get(task, []) if use.consumer == "background"]
    if not uses:
        return
    positions = {use.detail for use in uses}
    if len(positions) != 1 or not next(iter(positions)).isdigit():
        return
    index = int(next(iter(positions))) - 1
    facts = rec.coloring.index.function(task)
    if index < len(facts.params) and facts.params[index][0] not in {p.name.value for p in node.params.params}:
        return  # already given its own session (the module as this run's rewrite left it)
    problem = _problem(rec, task, index)
    name = node.name.value
    message = f"background task `{name}` receives the request's session, which FastAPI closes before it runs"
    if problem:
        rec.report("F106", node.name, message, reason=problem)
        return
    factory, needs = _factory(rec, task)
    parameter = facts.params[index][0]
    rec.report("F106", node.name, message + f"; it opens `async with {factory}() as {parameter}:` instead",
               fixable=True, data=OpenOwnSession(node, parameter, factory, needs))


# -- rewrite ---------------------------------------------------------------------------------------
def owns(data: object) -> bool:
    return isinstance(data, (DropSessionArgument, OpenOwnSession))


def plan(data: object, edits) -> None:
    if isinstance(data, DropSessionArgument):
        edits.replacements[id(data.call)] = lambda call, at=data.position: _drop_argument(call, at)
    elif isinstance(data, OpenOwnSession):
        if data.needs is not None:
            edits.from_imports.append(data.needs)
        edits.replacements[id(data.function)] = lambda function, data=data: _own_session(function, data)


def _drop_argument(call: cst.Call, position: int) -> cst.Call:
    args = [arg for index, arg in enumerate(call.args) if index != position]
    if position == len(call.args) - 1:
        # The argument before the dropped last one takes over its (trailing) comma, or none.
        args[-1] = args[-1].with_changes(comma=call.args[-1].comma)
    return call.with_changes(args=args)


def _own_session(function: cst.FunctionDef, data: OpenOwnSession) -> cst.FunctionDef:
    params = function.params
    kept = [p for p in params.params if p.name.value != data.parameter]
    if kept and params.params and params.params[-1].name.value == data.parameter:
        kept[-1] = kept[-1].with_changes(comma=params.params[-1].comma)
    docstring, inner = docstring_and_rest(function)
    block = cst.With(
        items=[cst.WithItem(cst.parse_expression(f"{data.factory}()"),
                            asname=cst.AsName(cst.Name(data.parameter)))],
        body=cst.IndentedBlock(inner),
        asynchronous=cst.Asynchronous(),
    )
    return function.with_changes(params=params.with_changes(params=kept),
                                 body=function.body.with_changes(body=[*docstring, block]))
