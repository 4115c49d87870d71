"""One legacy Query chain: where it starts, its steps in order, and how its value is used.

`read_chain` walks up from a chain's head (`session.query(...)`, or a variable holding a query)
through the method calls applied to it and classifies what the code finally does with it. It
never guesses: anything it does not model comes back as `Unsupported` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from .flask_models import FlaskDb
from ..core.tree import children
# Query methods that become the same (or a renamed) method of the `select()` statement.
STEP_METHODS = frozenset(
    {"filter", "where", "filter_by", "order_by", "limit", "offset", "slice", "join", "outerjoin", "options",
     "distinct", "group_by", "having", "with_entities", "with_for_update", "execution_options", "select_from",
     "add_columns", "add_entity", "correlate", "populate_existing", "prefix_with", "suffix_with"}
)
JOINS = frozenset({"join", "outerjoin"})
# Methods that execute the query (need the session) and methods that turn it into an SQL construct.
EXECUTING = frozenset({"all", "first", "one", "one_or_none", "scalar", "count", "get", "update", "delete"})
CONSTRUCTS = frozenset({"exists", "subquery", "cte", "scalar_subquery", "as_scalar", "label"})
# Terminals of Flask-SQLAlchemy's Query class: they convert to the extension's methods of the same name.
FLASK_TERMINALS = frozenset({"get_or_404", "first_or_404", "one_or_404", "paginate"})
UNSUPPORTED = {
    "from_self": "`from_self()` wraps the query in a subquery with implicit aliasing that `select()` has no "
                 "equivalent for; rewrite it with an explicit `subquery()` and `aliased()`",
    "yield_per": "`yield_per()` streams rows while the query is iterated; a buffered `select()` result would "
                 "change its memory and batching semantics",
    "enable_eagerloads": "`enable_eagerloads()` has no `select()` equivalent",
    "params": "`Query.params()` supplies execution parameters, which `Select.params()` does not",
    "union": "set operations on a Query adapt the entities to the union; rewrite with `union()` and `aliased()`",
    "union_all": "set operations on a Query adapt the entities to the union; rewrite with `union_all()` and "
                 "`aliased()`",
    "intersect": "set operations on a Query adapt the entities; rewrite by hand",
    "except_": "set operations on a Query adapt the entities; rewrite by hand",
    "with_parent": "`Query.with_parent()` has no method form on `select()`; use `where(with_parent(...))`",
    "paginate": "Flask-SQLAlchemy pagination belongs to its own Query class",
    "first_or_404": "Flask-SQLAlchemy `first_or_404()` belongs to its own Query class",
    "get_or_404": "Flask-SQLAlchemy `get_or_404()` belongs to its own Query class",
    "one_or_404": "Flask-SQLAlchemy `one_or_404()` belongs to its own Query class",
    "reset_joinpoint": "`reset_joinpoint()` is a 1.x join-chaining feature with no 2.0 equivalent",
    "with_polymorphic": "`Query.with_polymorphic()` has no method form on `select()`",
    "select_entity_from": "`select_entity_from()` adapts entities implicitly; use `aliased()`",
    "autoflush": "`Query.autoflush()` needs `execution_options(autoflush=...)`; convert by hand",
    "with_session": "`with_session()` moves the query to another session",
    "merge_result": "`merge_result()` has no `select()` equivalent",
    "instances": "`instances()` has no `select()` equivalent",
    "only_return_tuples": "`only_return_tuples()` changes the row shape",
    "tuples": "`tuples()` changes the row shape",
    "set_label_style": "the label style of a Query and a `select()` differ",
    "with_labels": "the label style of a Query and a `select()` differ",
    "enable_assertions": "`enable_assertions()` has no `select()` equivalent",
    "value": "`Query.value()` was removed in 2.0",
    "values": "`Query.values()` was removed in 2.0",
    "whereclause": "`Query.whereclause` is read, not executed; convert by hand",
    "column_descriptions": "`Query.column_descriptions` describes the Query; convert by hand",
}
# Builtins that consume an iterable: iterating the query there is an execution.
ITERATING_CALLS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "dict", "enumerate"})
EMBEDDING_METHODS = frozenset({"in_", "not_in", "notin_"})
# Rewritten as a whole when the query is their first iterable, so that long lines break like the rest of the code.
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp)


@dataclass(frozen=True)
class Unsupported:
    """Why a chain (or a flow) is left alone."""

    reason: str


@dataclass(frozen=True)
class Step:
    """One method applied to the query: `.filter(...)`; `attribute` holds the `.name` part."""

    name: str
    call: cst.Call
    attribute: cst.Attribute


@dataclass(frozen=True)
class Use:
    """What the code does with the query after its last step.

    kind: a terminal method (`all`, `first`, ... `update`, `delete`, `exists`, `subquery`, ...),
    `statement`, `iterate`, `list` (`list(q)`), `index`, `slice`, `embed` (inside `in_()`),
    `assign` (stored in the variable `variable`, to be extended or used later), `pass` (an
    argument of `call`, which params.py may allow) or `return` (returns.py may allow).
    `node` is the outermost node the rewrite replaces.
    """

    kind: str
    node: cst.BaseExpression
    call: cst.Call | None = None
    subscript: cst.Subscript | None = None
    variable: str | None = None
    # For `iterate`: the comprehension or `dict(...)`-like call around the query, rewritten as a whole.
    around: cst.BaseExpression | None = None
    # The terminal is a statement of its own: its value (e.g. a bulk delete's row count) is not used.
    discarded: bool = False


@dataclass(frozen=True)
class Origin:
    """Where a query starts: the session that runs it and the entities it selects. `flask` is the
    Flask-SQLAlchemy extension (`db`) when the query is that extension's own Query class (`Model.query`,
    `db.session.query(...)`), whose terminals (`get_or_404()`, `paginate()`, ...) convert too."""

    session: cst.BaseExpression
    entities: tuple[cst.Arg, ...]
    flask: FlaskDb | None = None
    # The head is a call of a function that returns such a query as a `select()` (returns.py): the statement
    # is the call itself, not a `select()` built from `entities` (a stand-in for the class the function selects).
    returned: bool = False


@dataclass(frozen=True)
class Chain:
    """`head` is where the query starts (`session.query(...)`, `Model.query`) or a `Name` holding a query;
    `origin` says what a head that starts one means."""

    head: cst.BaseExpression
    steps: tuple[Step, ...]
    use: Use
    spine: tuple[cst.BaseExpression, ...]
    origin: Origin | None = None

    @property
    def is_origin(self) -> bool:
        """Does the chain start a query (not at a variable or a method returning a query)?"""
        return self.origin is not None

    @property
    def session(self) -> cst.BaseExpression:
        assert self.origin is not None
        return self.origin.session

    @property
    def entities(self) -> tuple[cst.Arg, ...]:
        assert self.origin is not None
        return self.origin.entities

    @property
    def flask(self) -> bool:
        return self.origin is not None and self.origin.flask is not None


def read_chain(head: cst.BaseExpression, parents: Mapping[cst.CSTNode, cst.CSTNode], origin: Origin | None = None,
               flask: bool = False) -> Chain | Unsupported:
    """`origin`: what `head` starts (by default a `session.query(...)` call starts a query on that session);
    `flask`: the query is Flask-SQLAlchemy's own Query class (also true when `origin.flask` is)."""
    if origin is None and isinstance(head, cst.Call) and isinstance(head.func, cst.Attribute) \
            and head.func.attr.value == "query":
        origin = Origin(head.func.value, tuple(head.args))
    flask = flask or (origin is not None and origin.flask is not None)
    steps: list[Step] = []
    spine: list[cst.BaseExpression] = [head]
    current: cst.BaseExpression = head
    while True:
        parent = parents.get(current)
        if isinstance(parent, cst.Attribute) and parent.value is current:
            name = parent.attr.value
            grandparent = parents.get(parent)
            call = grandparent if isinstance(grandparent, cst.Call) and grandparent.func is parent else None
            if call is not None and name in STEP_METHODS:
                steps.append(Step(name, call, parent))
                spine += [parent, call]
                current = call
                continue
            if call is not None and (name in EXECUTING or name in CONSTRUCTS or (flask and name in FLASK_TERMINALS)):
                spine += [parent, call]
                discarded = isinstance(parents.get(call), cst.Expr)
                use = Use(name, call, call=call, discarded=discarded)
                return Chain(head, tuple(steps), use, tuple(spine), origin)
            if call is None and name == "statement":
                spine.append(parent)
                return Chain(head, tuple(steps), Use("statement", parent), tuple(spine), origin)
            if name in UNSUPPORTED:
                return Unsupported(UNSUPPORTED[name])
            shown = f".{name}()" if call is not None else f".{name}"
            return Unsupported(f"`{shown}` is not a Query method sqlasync can convert (a Query subclass?)")
        use = _use_in_context(current, parent, parents)
        if isinstance(use, Unsupported):
            return use
        return Chain(head, tuple(steps), use, tuple(spine), origin)


def _use_in_context(node: cst.BaseExpression, parent: cst.CSTNode | None,
                    parents: Mapping[cst.CSTNode, cst.CSTNode]) -> Use | Unsupported:
    if isinstance(parent, cst.Subscript) and parent.value is node:
        element = parent.slice[0].slice if len(parent.slice) == 1 else None
        if isinstance(element, cst.Slice):
            return Use("slice", parent, subscript=parent)
        if isinstance(element, cst.Index):
            return Use("index", parent, subscript=parent)
        return Unsupported("the query is subscripted with several indexes")
    if isinstance(parent, cst.For) and parent.iter is node:
        return Use("iterate", node)
    if isinstance(parent, cst.CompFor) and parent.iter is node:
        comprehension = parents.get(parent)
        if isinstance(comprehension, COMPREHENSIONS) and comprehension.for_in is parent and parent.asynchronous is None \
                and len(comments_in(comprehension)) == len(comments_in(node)):
            return Use("iterate", comprehension, around=comprehension)
        return Use("iterate", node)
    if isinstance(parent, cst.Arg) and parent.value is node:
        call = parents.get(parent)
        if isinstance(call, cst.Call) and len(call.args) == 1 and parent.keyword is None and not parent.star:
            if isinstance(call.func, cst.Name) and call.func.value in ITERATING_CALLS:
                return Use("list", call, call=call) if call.func.value == "list" else Use("iterate", call, around=call)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in EMBEDDING_METHODS:
                return Use("embed", node)
        if isinstance(call, cst.Call) and not parent.star:
            return Use("pass", node, call=call)
        return Unsupported("the query object is unpacked into a call's arguments")
    if isinstance(parent, cst.Assign) and parent.value is node and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            return Use("assign", node, variable=target.value)
        return Unsupported("the query object is stored in an attribute or container, out of sight of the rewrite")
    if isinstance(parent, cst.Return):
        return Use("return", node)
    if isinstance(parent, (cst.Yield, cst.Assign, cst.AnnAssign)):
        return Unsupported("the query object escapes the function (stored or yielded)")
    return Unsupported("the query object is used directly (not executed by a terminal method)")


def passed_to(call: cst.Call) -> str:
    """Why a query handed to `call` is left (unless params.py converts the callee with it)."""
    callee = cst.Module([]).code_for_node(call.func)
    return (f"the query object is passed to `{callee}()`; sqlasync converts a query only when its whole flow stays "
            "inside one function")


RETURNED = "the query object is returned, so its callers finish it; convert the callers by hand"


def comments_in(*nodes: cst.CSTNode | None) -> list[str]:
    return [comment.value for node in nodes if node is not None for comment in descendants(node, cst.Comment)]


def descendants(node: cst.CSTNode, kind: type | tuple[type, ...]) -> list:
    """Every node of `kind` under `node` (included), in source order; cheaper than `matchers.findall`."""
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            found.append(current)
        stack.extend(reversed(children(current)))
    return found
