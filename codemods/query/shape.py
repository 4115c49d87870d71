"""What a query selects and what its FROM clause may hold, read from the source alone.

The legacy Query returns ORM objects when it selects exactly one mapped entity and `Row`s
otherwise (a single column gives one-element rows), and it always de-duplicates results that
contain ORM entities. `select()` results do neither by themselves, so the rewrite needs to know
the shape (`scalars()` or rows) and whether duplicates are possible (then `.unique()`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import libcst as cst

from .chain import JOINS, Step, Unsupported, descendants

# Receivers such as `self.model` in generic repositories hold a mapped class.
MODEL_LIKE_NAMES = frozenset({"model", "model_class", "model_cls", "entity", "cls", "klass", "mapped_class"})
# Mappers select objects as their classes do (`sqlalchemy_utils.get_mapper(obj)` in an ORM event listener).
ENTITY_FACTORIES = frozenset({"aliased", "with_polymorphic", "get_mapper", "class_mapper", "object_mapper"})
# SQL expression constructors called by a bare name (`func.count(...)`, `X.id.label(...)` are columns too).
COLUMN_FACTORIES = frozenset({"and_", "between", "bindparam", "case", "cast", "coalesce", "collate", "column",
                              "distinct", "extract", "false", "label", "literal", "literal_column", "not_", "null",
                              "or_", "over", "text", "true", "tuple_", "type_coerce", "within_group",
                              # sqlalchemy.sql.functions imported by name
                              "array_agg", "char_length", "concat", "count", "current_date", "current_time",
                              "current_timestamp", "dense_rank", "max", "min", "now", "random", "rank", "row_number",
                              "sum"})
SELECTABLE_METHODS = frozenset({"subquery", "cte", "alias"})
# References inside these calls live in a subquery of their own and add nothing to the FROM clause.
SUBQUERY_CALLS = frozenset({"any", "has", "select", "exists", "scalar_subquery", "in_", "not_in", "notin_", "query"})
EAGER_JOIN_OPTIONS = frozenset({"joinedload", "contains_eager"})


class Kind(enum.Enum):
    ENTITY = "mapped class"
    COLUMN = "column expression"
    SELECTABLE = "subquery"


Resolver = Callable[[cst.Name], cst.BaseExpression | None]


def class_like(name: str) -> bool:
    return bool(name) and name[0].isupper() and (len(name) == 1 or not name.isupper())


def model_like(name: str) -> bool:
    return name in MODEL_LIKE_NAMES or name.endswith("_model")


def last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def callee_name(call: cst.Call) -> str | None:
    return last_name(call.func)


def entity_kind(expr: cst.BaseExpression, resolve: Resolver, code: Callable[[cst.CSTNode], str]) -> Kind | Unsupported:
    if isinstance(expr, (cst.Name, cst.Attribute)):
        name = last_name(expr) or ""
        if class_like(name) or model_like(name):
            return Kind.ENTITY
        if isinstance(expr, cst.Attribute):
            return Kind.COLUMN
        bound = resolve(expr)
        if bound is not None and not (isinstance(bound, cst.Name) and bound.value == expr.value):
            return entity_kind(bound, resolve, code)
        return Unsupported(f"cannot tell whether `{expr.value}` is a mapped class or a column, so the result "
                           "shape (objects or rows) is unknown")
    if isinstance(expr, cst.Call):
        name = callee_name(expr)
        if name in ENTITY_FACTORIES:
            return Kind.ENTITY
        if name in SELECTABLE_METHODS:
            return Kind.SELECTABLE
        if name == "Bundle":
            return Unsupported("a `Bundle` changes the row shape; convert by hand")
        if isinstance(expr.func, cst.Name) and name not in COLUMN_FACTORIES:
            return Unsupported(f"cannot tell whether `{code(expr)}` returns a mapped class or a column, so the "
                               "result shape (objects or rows) is unknown")
        return Kind.COLUMN
    if isinstance(expr, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison)):
        return Kind.COLUMN
    return Unsupported(f"cannot tell what `{code(expr)}` selects")


def reference_heads(nodes: Iterable[cst.CSTNode]) -> set[str]:
    """`Task` for every `Task.column` read outside a subquery-building call."""
    collector = _HeadCollector()
    for node in nodes:
        node.visit(collector)
    return collector.heads


class _HeadCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.heads: set[str] = set()

    def visit_Call(self, node: cst.Call) -> bool:
        if callee_name(node) in SUBQUERY_CALLS:
            node.func.visit(self)
            return False
        return True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        head = last_name(node.value)
        attr = node.attr.value
        if head and isinstance(node.value, (cst.Name, cst.Attribute)) and class_like(head) and not class_like(attr) \
                and not attr.isupper():
            self.heads.add(cst.Module([]).code_for_node(node.value))
            return False
        return True


def entity_heads(exprs: Iterable[tuple[cst.BaseExpression, Kind]]) -> set[str]:
    return {cst.Module([]).code_for_node(expr) for expr, kind in exprs
            if kind is Kind.ENTITY and isinstance(expr, (cst.Name, cst.Attribute))}


@dataclass(frozen=True)
class Selection:
    """The entities a query selects at one point of its life."""

    exprs: tuple[tuple[cst.BaseExpression, Kind], ...]

    @property
    def single_entity(self) -> bool:
        return len(self.exprs) == 1 and self.exprs[0][1] is Kind.ENTITY

    @property
    def has_entity(self) -> bool:
        return any(kind is Kind.ENTITY for _, kind in self.exprs)


def classify(args: Iterable[cst.Arg], resolve: Resolver, code: Callable[[cst.CSTNode], str]) -> Selection | Unsupported:
    exprs = []
    for arg in args:
        if arg.star or arg.keyword is not None:
            return Unsupported("entities given with `*`/keywords: the result shape is unknown")
        kind = entity_kind(arg.value, resolve, code)
        if isinstance(kind, Unsupported):
            return kind
        exprs.append((arg.value, kind))
    if not exprs:
        return Unsupported("a query without entities")
    return Selection(tuple(exprs))


def may_repeat_entities(selections: Iterable[Selection], steps: Iterable[Step]) -> bool:
    """Could the rows hold the same ORM entity twice? (Then the legacy Query de-duplicated them.)

    Only when something besides the selected entities' own tables is in the FROM clause:
    a join, `select_from()`, a joined eager load, or a column of another class in the criteria.
    """
    selections = list(selections)
    steps = list(steps)
    if not any(s.has_entity for s in selections):
        return False
    if any(step.name in JOINS or step.name == "select_from" for step in steps):
        return True
    for step in steps:
        if step.name == "options" and any(
            last_name(n.func) in EAGER_JOIN_OPTIONS for n in _calls(step.call)
        ):
            return True
    own = set().union(*(entity_heads(s.exprs) for s in selections))
    referenced = reference_heads([expr for s in selections for expr, _ in s.exprs]
                                 + [arg for step in steps for arg in step.call.args])
    return bool(referenced - own)


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    return [call for call in descendants(node, cst.Call) if call is not node]
