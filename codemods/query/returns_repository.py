"""Returned queries over the whole repository: which query-returning methods and Flask-SQLAlchemy helpers
convert with their callers, and what the scan records for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import libcst as cst

from ..core.functions import own_nodes
from .chain import (CONSTRUCTS, EXECUTING, FLASK_TERMINALS, RETURNED, STEP_METHODS, Origin, Unsupported,
                    descendants, passed_to)
from .flask_models import FlaskDb
from .flow import SHAPE_STEPS, FlowAnalysis
from .params import bound_value
from .plan import Planner
from .shape import class_like, classify, may_repeat_entities
from .statements import RETURNED_ENTITY, RETURNED_REPEATING


# -- the whole repository -----------------------------------------------------------------------
@dataclass
class ReturnedQueries:
    """Methods the repository lets return a `Select` for their callers to run, the functions that run it, and why
    the other methods are left."""

    approved: set[tuple[str, str]] = field(default_factory=set)
    finishing: set[tuple[str, str]] = field(default_factory=set)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    # Functions returning a Flask-SQLAlchemy query that return a `select()` instead, with the (module, name) of
    # the extension whose `db.session` their callers run it on.
    flask: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # Those whose query may repeat its entity: their callers de-duplicate.
    repeating: set[tuple[str, str]] = field(default_factory=set)


def approve(index, callers, values, migrated) -> ReturnedQueries:
    from ..index.properties import override_problem, subclasses

    found = ReturnedQueries()
    below = None
    for path, summary in index.files.items():
        for qualname in summary.facts.query_helpers:
            helper = (path, qualname)
            facts = index.function(helper)
            if below is None:
                below = subclasses(index)
            reason = override_problem(index, (path, facts.class_qualname), facts.name, below) or _call_problem(
                helper, callers.get(helper, ()), values.get(helper, ()))
            if reason is None and path not in migrated:
                reason = f"{path} is not part of this migration"
            if reason is not None:
                found.reasons[helper] = reason
                continue
            found.approved.add(helper)
            found.files.add(path)
            found.finishing.update(caller.function for caller in callers[helper])
    approve_flask(index, callers, values, migrated, found)
    return found


def _call_problem(helper, callers, values) -> str | None:
    name = helper[1].rsplit(".", 1)[-1]
    for path, use in values:
        return f"`{name}` is {use.detail or 'used as a value'} at {path}:{use.line}"
    if not callers:
        return f"nothing in the repository calls `{name}()`"
    for caller in callers:
        where = f"{caller.path}:{caller.site.line}"
        if caller.path != helper[0] or caller.function is None:
            return f"it is called at {where}, outside its own module's methods"
        if not caller.site.finishes:
            return f"the call at {where} does not run the query it returns (or not in a way Q101 converts)"
    return None


# -- Flask-SQLAlchemy queries returned to callers anywhere in the repository ----------------------
#
#     class Group(db.Model):                          class Group(db.Model):
#         @classmethod                                    @classmethod
#         def all(cls, org):                              def all(cls, org):
#             return cls.query.filter(cls.org == org)         return db.select(cls).where(cls.org == org)
#
#     # handlers/groups.py                            # handlers/groups.py
#     for group in models.Group.all(org): ...         for group in db.session.scalars(models.Group.all(org)): ...
#
# The function returns a `select()` of its one mapped class, and every call of it, in any module, runs that
# statement on the extension's `db.session` (the same scoped session the legacy Query ran on): function and
# callers change together or not at all. The scan of each file records such functions (`flask_helpers`) and,
# for each call, whether its result would be finished by steps and terminals Q102 converts (`returned_use`);
# `approve` decides over the whole repository, and check and migrate ask it in every file.

PLACEHOLDER_DB = FlaskDb("db")
PLACEHOLDER_SESSION = cst.Attribute(cst.Name("db"), cst.Name("session"))
RETURNED_ORIGIN_ENTITIES = (RETURNED_ENTITY,)
# The contexts in which the result of a call may be a query its caller goes on with (cheap test before the flow).
_ITERATING = frozenset({"list", "tuple", "set", "frozenset", "sorted", "dict", "enumerate"})
HELPER_DECORATORS = frozenset({"classmethod", "staticmethod"})


QUERY_CLASSES = frozenset({"sqlalchemy.orm.Query", "sqlalchemy.orm.query.Query"})


def custom_query_class(evidence, module: cst.Module) -> str | None:
    """Why no chain of this file converts: it defines a Query subclass or installs a custom Query class
    (`query_cls=`), whose methods may change what a chain does (None: neither). Worked out once per file."""
    if evidence.custom_query is None:
        evidence.custom_query = _custom_query_class(evidence, module) or ""
    return evidence.custom_query or None


def _custom_query_class(evidence, module: cst.Module) -> str | None:
    for node in descendants(module, (cst.ClassDef, cst.Arg)):
        if isinstance(node, cst.ClassDef) and any(evidence.qualified(base.value) & QUERY_CLASSES
                                                  for base in node.bases):
            return (f"this file defines the Query subclass `{node.name.value}`, whose methods may change what a "
                    "chain does; convert by hand")
        if isinstance(node, cst.Arg) and node.keyword is not None and node.keyword.value == "query_cls":
            return "this file installs a custom Query class (`query_cls=`); convert by hand"
    return None


def returned_origin(db: FlaskDb, session: cst.BaseExpression, repeats: bool = False) -> Origin:
    """What a call of such a function starts at its caller; `repeats`: the function's query may repeat its entity
    (a join), so its caller de-duplicates the objects like the legacy Query did."""
    return Origin(session, (RETURNED_REPEATING,) if repeats else RETURNED_ORIGIN_ENTITIES, db, returned=True)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _scan_flows(evidence, origin_of, returns) -> FlowAnalysis:
    planner = Planner(partial(bound_value, evidence), _code)
    return FlowAnalysis(evidence.parents, evidence.source_index, evidence.scopes, lambda node: None, planner, "sync",
                        _code, lambda node: None, lambda use: passed_to(use.call), returns, origin_of)


def model_query(evidence, node: cst.CSTNode) -> cst.BaseExpression | None:
    """The class of `Model.query` / `cls.query` (not a call of a `query` method), if `node` is one."""
    if not (isinstance(node, cst.Attribute) and node.attr.value == "query"):
        return None
    parent = evidence.parent(node)
    if isinstance(parent, cst.Call) and parent.func is node:
        return None
    model = node.value
    last = model.attr.value if isinstance(model, cst.Attribute) else model.value if isinstance(model, cst.Name) \
        else None
    if last is None or not (last == "cls" or class_like(last)):
        return None
    return model


def flask_helper(evidence, function: cst.FunctionDef, decorators: tuple[str, ...], is_generator: bool
                 ) -> tuple[cst.BaseExpression, bool] | None:
    """The class whose `Model.query` `function` returns (extended, as a query of that one class) on every path, as
    far as this file shows, and whether its rows may repeat the entity (joins); the repository decides whether the
    class is a Flask-SQLAlchemy model (`approve`)."""
    if function.asynchronous is not None or is_generator or set(decorators) - HELPER_DECORATORS \
            or function.name.value.startswith("__") or custom_query_class(evidence, evidence.module):
        return None
    origin = next((node for node in own_nodes(function) if model_query(evidence, node) is not None), None)
    if origin is None:
        return None
    model = model_query(evidence, origin)

    def origin_of(head):
        found = model_query(evidence, head)
        return Origin(PLACEHOLDER_SESSION, (cst.Arg(found),), PLACEHOLDER_DB) if found is not None else None

    flows = _scan_flows(evidence, origin_of, lambda use: None)
    conversion = flows.convert(origin)
    if isinstance(conversion, Unsupported) or conversion.arguments or not conversion.returned:
        return None
    returned = {id(node) for node in conversion.returned}
    returns = [node for node in own_nodes(function) if isinstance(node, cst.Return)]
    if any(node.value is None or id(node.value) not in returned for node in returns):
        return None
    if any(step.name in SHAPE_STEPS for step in conversion.steps):
        return None  # the rows are no longer the class's objects
    selection = classify(conversion.entities, flows.planner.resolve, _code)
    if isinstance(selection, Unsupported) or not selection.single_entity:
        return None
    return model, may_repeat_entities([selection], conversion.steps)


def returned_use(evidence, call: cst.Call) -> str | list[cst.BaseExpression]:
    """For a call whose function may return a Flask-SQLAlchemy query: how the caller, taking the result for such a
    query, runs it by steps and terminals Q102 converts (in this function): the classes of the `Model.query` it
    may share a variable with (the repository checks they are the function's); else why it does not."""
    custom = custom_query_class(evidence, evidence.module)
    if custom:
        return custom
    callee = _code(call.func)
    models: list[cst.BaseExpression] = []

    def origin_of(head):
        # Another call of the same function in the caller (`x = f(a)` on one branch, `x = f(b)` on the other).
        if head is call or (isinstance(head, cst.Call) and _code(head.func) == callee):
            return returned_origin(PLACEHOLDER_DB, PLACEHOLDER_SESSION)
        model = model_query(evidence, head)
        if model is None:
            return None
        models.append(model)
        return Origin(PLACEHOLDER_SESSION, (cst.Arg(model),), PLACEHOLDER_DB)

    flows = _scan_flows(evidence, origin_of, lambda use: RETURNED)
    conversion = flows.convert(call)
    if isinstance(conversion, Unsupported):
        return conversion.reason
    if conversion.arguments or conversion.returned or conversion.parameter is not None:
        return "the query is handed on"
    return models


def may_finish(evidence, call: cst.Call) -> bool:
    """Cheap test: is the result of `call` used the way a query is (extended, run, iterated or kept in a name)?"""
    func = call.func
    if not isinstance(func, (cst.Name, cst.Attribute)) or (isinstance(func, cst.Attribute)
                                                           and func.attr.value == "query"):
        return False
    parent = evidence.parent(call)
    if isinstance(parent, cst.Attribute) and parent.value is call:
        name = parent.attr.value
        return name in STEP_METHODS or name in EXECUTING or name in CONSTRUCTS or name in FLASK_TERMINALS
    if isinstance(parent, cst.Subscript):
        return parent.value is call
    if isinstance(parent, (cst.For, cst.CompFor)):
        return parent.iter is call
    if isinstance(parent, cst.Arg):
        outer = evidence.parent(parent)
        return isinstance(outer, cst.Call) and isinstance(outer.func, cst.Name) and outer.func.value in _ITERATING
    if isinstance(parent, cst.Assign):
        return len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)
    return False


def local_names(evidence, node: cst.CSTNode) -> tuple[str, ...]:
    """The names bound in the functions around `node` (where a module-level `db` would be shadowed)."""
    found: set[str] = set()
    scope = evidence.scopes.get(node)
    while scope is not None and scope is not scope.globals:
        found.update(assignment.name for assignment in scope.assignments)
        scope = scope.parent
    return tuple(sorted(found))


def approve_flask(index, callers, values, migrated, found: ReturnedQueries) -> None:
    """Which functions returning a Flask-SQLAlchemy query the repository lets return a `select()` instead: the
    class is a model on the extension's `db.Model`, every call of the function (there is one at least) is part of
    this migration and runs the query by steps and terminals Q102 converts, nothing uses the function as a value or
    overrides it, and every module involved can name the extension."""
    from ..index.properties import override_problem, subclasses
    from .flask_models import FlaskModels

    below = None
    for path, summary in index.files.items():
        if summary.target != "sync":
            continue
        models = None
        for qualname, (model, repeats, names) in summary.facts.flask_helpers.items():
            if models is None:
                models = FlaskModels(None, path, index, None)
            home = models.indexed_home(model)
            if home is None or _own_query(index, model, path):
                continue  # not a Flask-SQLAlchemy model (or one with a `query` of its own): no Q102 site either
            helper = (path, qualname)
            facts = index.function(helper)
            if facts.class_qualname is not None and below is None:
                below = subclasses(index)
            reason = (override_problem(index, (path, facts.class_qualname), facts.name, below)
                      if facts.class_qualname is not None else None) or _flask_call_problem(
                helper, callers.get(helper, ()), values.get(helper, ()), migrated) or _spelling_problem(
                index, path, home, names)
            if reason is None:
                for caller in callers[helper]:
                    names, shared = caller.site.returned_use
                    reason = _spelling_problem(index, caller.path, home, names) or _shared_problem(
                        index, (path, model), caller, shared)
                    if reason:
                        break
            if reason is None and path not in migrated:
                reason = f"{path} is not part of this migration"
            if reason is not None:
                found.reasons[helper] = reason
                continue
            found.flask[helper] = home
            if repeats:
                found.repeating.add(helper)
            found.files.add(path)
            found.files.update(caller.path for caller in callers[helper])


def _shared_problem(index, helper_model, caller, shared) -> str | None:
    """Why a caller's variable bound both to the function's query and to `Model.query` may not be converted as one
    flow: the class is not the function's own."""
    mine = index.resolve(helper_model[1], helper_model[0])
    for model in shared:
        if model is None or index.resolve(model, caller.path) != mine:
            return (f"the call at {caller.path}:{caller.site.line} shares its variable with a `Model.query` of "
                    "another class (or one sqlasync cannot resolve)")
    return None


def _own_query(index, model, path: str) -> bool:
    """Does the model (or a class of the repository it derives from) define a `query` attribute of its own?"""
    entity = index.resolve(model, path)
    return entity is not None and entity[0] == "class" and any(
        "query" in facts.attributes or "query" in facts.methods
        for facts in (index.cls(*cls) for cls in index.mro(entity[1], entity[2])) if facts is not None)


def _flask_call_problem(helper, callers, values, migrated) -> str | None:
    name = helper[1].rsplit(".", 1)[-1]
    for path, use in values:
        return f"`{name}` is {use.detail or 'used as a value'} at {path}:{use.line}"
    if not callers:
        return f"nothing in the repository calls `{name}()`, so the callers that would finish it are unknown"
    for caller in sorted(callers, key=lambda c: (c.path, c.site.line)):
        where = f"{caller.path}:{caller.site.line}"
        if caller.path not in migrated:
            return f"it is called at {where}, which is not part of this migration"
        use = caller.site.returned_use
        if not isinstance(use, tuple):
            why = use or "the result is not extended or run there (it is handed on, stored, returned or compared)"
            return f"the call at {where} does not finish the query the way Q102 converts: {why}"
    return None


def _spelling_problem(index, path: str, home: tuple[str, str], names) -> str | None:
    """Why the module at `path` cannot name the extension at `home` as `db.session` (None: it can, as a
    module-level name bound to it or an import of it that takes no name already used)."""
    from .flask_models import FlaskModels

    spelled = FlaskModels(None, path, index, None).indexed_spelling(home)
    if spelled.home is None:
        return None if spelled.name not in (names or ()) else (
            f"`{spelled.name}` is bound to something else where {path} would run the query")
    taken = spelled.name in index.files[path].facts.names or spelled.name in (names or ())
    return f"{path} would import `{spelled.name}`, a name it already uses" if taken else None
