"""Which ORM class a session statement loads, and where loader options would go.

Both spellings count, because `check` sees the legacy code and `migrate`'s coloring pass sees it
after the Q rewrite: `db.query(Job).filter(...).first()`, `db.query(Job).get(pk)`,
`(await db.scalars(select(Job).where(...))).all()`, `await db.get(Job, pk)`,
`(await db.execute(select(Job))).scalar_one()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from .nodes import dotted_name
from .tree import children

SINGLE = frozenset({"first", "one", "one_or_none", "get", "get_one", "scalar", "scalar_one", "scalar_one_or_none"})
MANY = frozenset({"all", "fetchall", "partitions", "unique", "scalars"})
SESSION_LOADS = frozenset({"scalars", "execute", "scalar", "stream_scalars"})
# Steps that refine a statement and keep what it loads.
REFINING = frozenset({"filter", "filter_by", "where", "order_by", "limit", "offset", "options", "join", "outerjoin",
                      "distinct", "group_by", "having", "execution_options", "with_for_update", "join_from",
                      "select_from", "correlate", "slice"})
# Steps after which a statement no longer yields instances of its entity.
NOT_INSTANCES = frozenset({"count", "exists", "delete", "update", "subquery", "cte", "statement", "with_entities",
                           "add_columns", "values", "scalar_subquery", "label", "rowcount", "mappings", "tuples"})
LOADERS = frozenset({"selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager",
                     "defaultload"})


@dataclass(frozen=True)
class Loaded:
    """What a statement loads: instances of `model`, one or a collection; `anchor` is where options go."""

    model: cst.BaseExpression
    collection: bool
    anchor: cst.Call
    # "query" (db.query(M)...), "select" (select(M)) or "get" (db.get(M, pk), db.query(M).get(pk)): a get
    # returns an object already in the session as it is, so its loader options may never run.
    kind: str


def loaded_by(expr: cst.BaseExpression, is_session: Callable[[cst.BaseExpression], bool],
              follow: Callable[[cst.Name], list[cst.BaseExpression]] | None = None) -> Loaded | None:
    """The ORM class `expr` evaluates to instances of, if `expr` runs a single-entity statement.

    `follow` gives the values a local name was bound to, for statements kept in a variable
    (`stmt = select(Job)`, `stmt = stmt.where(...)`, `db.scalars(stmt)`): the binding rooted at
    `select(M)` is where options go. It may also answer for a call (what a method returns)."""
    steps: list[str] = []
    node = _strip(expr)
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            receiver = _strip(node.func.value)
            if method == "query" and is_session(receiver) and _one_entity(node):
                if any(step in NOT_INSTANCES for step in steps):
                    return None
                kind = "get" if any(step in ("get", "get_one") for step in steps) else "query"
                return Loaded(node.args[0].value, _collection(steps), node, kind)
            if method in ("get", "get_one") and is_session(receiver) and len(node.args) >= 2 and not steps:
                return Loaded(node.args[0].value, False, node, "get")
            if method in SESSION_LOADS and is_session(receiver) and node.args:
                select = _select_call(node.args[0].value, follow)
                if select is None:
                    return None
                if method == "scalar":
                    return Loaded(select.args[0].value, False, select, "select") if not steps else None
                if method == "execute":
                    steps = [step for step in steps if step != "unique"]  # (de-duplicates the rows, keeps them)
                    if not steps or steps[0] not in {"scalars", "scalar", "scalar_one", "scalar_one_or_none"}:
                        return None  # rows, not instances
                    steps = steps if steps[0] == "scalars" else ["scalars", steps[0], *steps[1:]]
                    steps = steps[1:]
                if any(step in NOT_INSTANCES for step in steps):
                    return None
                return Loaded(select.args[0].value, not any(step in SINGLE for step in steps), select, "select")
            steps.insert(0, method)
            node = _strip(node.func.value)
        elif isinstance(node, cst.Attribute):
            node = _strip(node.value)
        else:
            return None


def _collection(steps: list[str]) -> bool:
    """A Query used as is (iterated) or finished with all() is a collection; first()/one()/get() are not."""
    for step in steps:
        if step in SINGLE:
            return False
        if step == "all":
            return True
    return True


def _select_call(node: cst.BaseExpression, follow=None, seen: frozenset[int] = frozenset()) -> cst.Call | None:
    node = _strip(node)
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if follow is not None and id(node) not in seen:
            # A statement a method builds (`self._query().where(...)`), where `follow` knows that method.
            for value in follow(node):
                found = _select_call(value, follow, seen | {id(node)})
                if found is not None:
                    return found
        node = _strip(node.func.value)
    if isinstance(node, cst.Call) and (dotted_name(node.func) or "").rsplit(".", 1)[-1] == "select" \
            and _one_entity(node):
        return node
    if isinstance(node, cst.Name) and follow is not None and id(node) not in seen:
        for value in follow(node):
            found = _select_call(value, follow, seen | {id(node)})
            if found is not None:
                return found
    return None


def is_select(call: cst.Call) -> bool:
    return (dotted_name(call.func) or "").rsplit(".", 1)[-1] == "select" and _one_entity(call)


def _one_entity(call: cst.Call) -> bool:
    return len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star and isinstance(
        call.args[0].value, (cst.Name, cst.Attribute))


def _strip(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.expression if isinstance(node, cst.Await) else node


def loader_targets(node: cst.CSTNode) -> set[str]:
    """Relationship names that loader options anywhere under `node` load (`selectinload(Job.clips)` -> clips)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            name = (dotted_name(current.func) or "").rsplit(".", 1)[-1]
            if isinstance(current.func, cst.Attribute) and current.func.attr.value in LOADERS:
                name = current.func.attr.value
            if name in LOADERS and current.args:
                target = current.args[0].value
                if isinstance(target, cst.Attribute):
                    names.add(target.attr.value)
        stack.extend(children(current))
    return names
