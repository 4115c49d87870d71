"""Functions that receive a legacy Query (`def paginate(query: Query, page, page_size)`), converted with their callers.

Q101 converts a query only when its whole flow stays in one function. A module-level function whose
parameter is annotated `Query` and only extended and executed inside is converted as one unit with
every call of it in the repository:

    def paginate(query: Query, page, page_size):      async def paginate(db: AsyncSession, query: Select, page, page_size):
        return query.limit(page_size).all()              return (await db.scalars(query.limit(page_size))).all()

    paginate(db.query(Job).order_by(Job.id), 1, 20)    await paginate(db, select(Job).order_by(Job.id), 1, 20)

The function receives the session as its first parameter (where sessions go in a DAO function, and
where the compat bridge passes one); each call passes the session of the query it hands over. That is
safe only when the repository shows every call: each passes, at that parameter, a `session.query(...)`
chain (or a local variable holding one) of exactly one mapped class whose rows cannot repeat an
entity, so that the function's `all()` is `scalars().all()` for every caller; the function is never
used as a value; and it becomes async (its callers can await). The scan of each file records
candidates and what each call passes (`coloring_scan`), the coloring decides over the whole
repository (`approve`), and check and migrate ask it in every file. Otherwise everything is left, and
the finding says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment

from ..core.evidence import ReceiverEvidence
from ..core.nodes import metadata_value
from .chain import Unsupported, descendants
from .shape import class_like, classify, last_name, may_repeat_entities

QUERY_TYPES = frozenset({"sqlalchemy.orm.Query", "sqlalchemy.orm.query.Query"})
# Steps that need to know, inside the function, which entity the caller queried.
ENTITY_STEPS = frozenset({"filter_by", "join", "outerjoin", "select_from", "with_entities", "add_columns",
                          "add_entity"})
# A stand-in for the caller's entity: what the planner needs to choose `scalars()`; never written out,
# since the steps that would write it (ENTITY_STEPS, `get()`, bulk writes) are refused.
CALLERS_ENTITY = cst.Arg(cst.Name("CallersEntity"))


@dataclass(frozen=True)
class Candidate:
    """A function that receives a legacy query in `param` (the `position`-th parameter)."""

    function: cst.FunctionDef
    param: cst.Param
    position: int
    session: str


def query_param(evidence: ReceiverEvidence, function: cst.FunctionDef) -> cst.Param | None:
    """The parameter annotated `Query`, if `function` has one."""
    for param in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params):
        if param.annotation is not None and evidence.qualified(param.annotation.annotation) & QUERY_TYPES:
            return param
    return None


def candidate(evidence: ReceiverEvidence, function: cst.FunctionDef, session_names) -> Candidate | Unsupported | None:
    """Can `function` receive the session and a statement instead of its Query (as far as this file shows)?"""
    param = query_param(evidence, function)
    if param is None:
        return None
    name = function.name.value
    if not isinstance(evidence.parent(function), cst.Module):
        return Unsupported(f"`{name}()` receives a Query but is not a module-level function; convert by hand")
    params = function.params
    if param not in params.params or params.posonly_params or params.star_arg not in (None, cst.MaybeSentinel.DEFAULT):
        return Unsupported(f"`{name}()` receives its Query keyword-only or beside `*args`; convert by hand")
    if param.default is not None:
        return Unsupported(f"`{name}()` has a default for its Query parameter; convert by hand")
    if function.asynchronous is not None:
        return Unsupported(f"`{name}()` is already async; convert by hand")
    taken = {node.value for node in descendants(function, cst.Name)}
    session = next((s for s in (*session_names, "session") if s not in taken), None)
    if session is None:
        return Unsupported(f"`{name}()` already uses every session name; convert by hand")
    return Candidate(function, param, list(params.params).index(param), session)


def entity_problem(steps) -> str | None:
    step = next((s for s in steps if s.name in ENTITY_STEPS), None)
    if step is None:
        return None
    return (f"`{step.name}()` on a query received as a parameter needs to know its entity, which only the callers "
            "name; convert by hand")


def passed_shape(resolve, code: Callable[[cst.CSTNode], str], entities, steps) -> str:
    """"entity" when the query selects one mapped class and no row can repeat it (then `all()` is
    `scalars().all()`), else "rows"."""
    selection = classify(entities, resolve, code)
    if isinstance(selection, Unsupported) or not selection.single_entity:
        return "rows"
    return "rows" if may_repeat_entities([selection], steps) else "entity"


def bound_value(evidence: ReceiverEvidence, name: cst.Name) -> cst.BaseExpression | None:
    """The value of `name`'s only binding in scope, if it has exactly one plain assignment."""
    scope = metadata_value(evidence.scopes, name)
    if scope is None or name.value not in scope:
        return None
    assignments = list(scope[name.value])
    if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
        return None
    target = assignments[0].node
    loop = evidence.parent(target)
    if isinstance(loop, cst.For) and loop.target is target:
        return _loop_element(evidence, loop.iter)
    return evidence.bound_value(target)


def _loop_element(evidence: ReceiverEvidence, iterable: cst.BaseExpression) -> cst.BaseExpression | None:
    """For `for model in (Clip, Job):` (or a name bound to such a tuple), a representative element:
    the loop variable holds classes, whichever one it is."""
    if isinstance(iterable, cst.Name):
        bound = bound_value(evidence, iterable)
        iterable = bound if isinstance(bound, (cst.Tuple, cst.List)) else iterable
    if not isinstance(iterable, (cst.Tuple, cst.List)) or not iterable.elements:
        return None
    values = [element.value for element in iterable.elements]
    if all(isinstance(v, (cst.Name, cst.Attribute)) and class_like(last_name(v) or "") for v in values):
        return values[0]
    return None


def query_origin(evidence: ReceiverEvidence, node: cst.BaseExpression) -> cst.Call | None:
    """The `session.query(...)` call a call argument's query starts from: the head of a chain written there, or of
    one bound to the local variable passed."""
    if isinstance(node, cst.Name):
        scope = metadata_value(evidence.scopes, node)
        if scope is None or node.value not in scope:
            return None
        for assignment in scope[node.value]:
            value = evidence.bound_value(assignment.node) if isinstance(assignment, Assignment) else None
            head = _head(evidence, value) if value is not None else None
            if head is not None:
                return head
        return None
    return _head(evidence, node)


def _head(evidence: ReceiverEvidence, node: cst.BaseExpression) -> cst.Call | None:
    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "query" \
                and evidence.session(node.func.value) is not None:
            return node
        node = node.func if isinstance(node, cst.Call) else node.value
    return None


# -- the whole repository -----------------------------------------------------------------------
@dataclass
class QueryFunctions:
    """Candidates the repository allows (function -> its query parameter's name and position) and why the others
    are left."""

    approved: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


def approve(index, callers, values, migrated) -> QueryFunctions:
    """Which candidates every call of which, anywhere in the repository, passes a query of one mapped class (and
    all of them, with the function, are part of this migration)."""
    found = QueryFunctions()
    for path, summary in index.files.items():
        for qualname, (param, position) in summary.facts.query_functions.items():
            function = (path, qualname)
            reason = _call_problem(function, param, position, callers.get(function, ()), values.get(function, ()))
            outside = [p for p in (path, *(caller.path for caller in callers.get(function, ()))) if p not in migrated]
            if reason is None and outside:
                reason = f"{outside[0]} is not part of this migration and keeps passing a Query"
            if reason is None:
                found.approved[function] = (param, position)
                found.files.add(path)
                found.files.update(caller.path for caller in callers.get(function, ()))
            else:
                found.reasons[function] = reason
    return found


def _call_problem(function, param: str, position: int, callers, values) -> str | None:
    name = function[1]
    for path, use in values:
        return f"`{name}` is {use.detail or 'used as a value'} at {path}:{use.line}"
    if not callers:
        return f"nothing in the repository calls `{name}()`"
    for caller in callers:
        passed = dict(caller.site.query_args)
        shape = passed.get(str(position), passed.get(param))
        where = f"{caller.path}:{caller.site.line}"
        if shape is None:
            return f"the call at {where} does not pass a `session.query(...)` chain as `{param}`"
        if shape != "entity":
            return (f"the call at {where} passes a query whose rows are not one mapped class each (several "
                    "entities or columns, or joins that may repeat it)")
    return None
