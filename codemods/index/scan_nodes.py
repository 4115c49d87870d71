"""Small readings of one node that the scan of a module (scan.py) makes: slots, guards, bindings, alternatives."""

from __future__ import annotations

import libcst as cst

from ..core.nodes import dotted_name, string_value
from ..core.functions import own_nodes as _own_nodes
from .facts import MAX_ALTERNATIVES, Expr
from .registration import QUERY_PARAMS as query_params


def _is_conversion(found) -> bool:
    return not isinstance(found, query_params.Unsupported)


def _literal_index(node: cst.Subscript) -> int | None:
    """`rows[2]`, `pair[-1]`: the integer a subscript indexes with, when it is written as a literal."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    negative = isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
    number = value.expression if negative else value
    if not isinstance(number, cst.Integer):
        return None
    return -int(number.value) if negative else int(number.value)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _alternatives(values: list[Expr | None]) -> Expr | None:
    """One value standing for a name's bindings: those that say anything, the first that resolves wins
    (`q = db.query(Job)` then `q = q.filter(...)`; `task = create(...)` here, `for task in ...` there)."""
    if len(values) == 1:
        return values[0]
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    if not distinct or len(distinct) > MAX_ALTERNATIVES:
        return None
    found = distinct[0]
    for value in distinct[1:]:
        found = _either(found, value)
    return found


def _either(left: Expr | None, right: Expr | None) -> Expr | None:
    if left is None:
        return right
    if right is None or right == left:
        return left
    return ("either", left, right)


def _as_name(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None:
        return None
    name = alias.asname.name
    return name.value if isinstance(name, cst.Name) else None


def _other_blocks(statement: cst.CSTNode):
    if isinstance(statement, cst.If) and statement.orelse is not None:
        orelse = statement.orelse
        yield orelse.body.body if isinstance(orelse, cst.Else) else [orelse]
    if isinstance(statement, cst.Try):
        for handler in statement.handlers:
            yield handler.body.body
        if statement.orelse is not None:
            yield statement.orelse.body.body
        if statement.finalbody is not None:
            yield statement.finalbody.body.body


def argument_slot(call: cst.Call, arg: cst.Arg) -> str | None:
    """The keyword `arg` is passed by, or its position among the positional arguments (None after a `*`)."""
    if arg.keyword is not None:
        return arg.keyword.value
    position = 0
    for other in call.args:
        if other is arg:
            return str(position)
        if other.star or other.keyword is not None:
            return None
        position += 1
    return None


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    names = {dotted_name(left), string_value(right), dotted_name(right), string_value(left)}
    return "__name__" in names and "__main__" in names and isinstance(test.comparisons[0].operator, cst.Equal)


def is_main_guard(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.If) and _is_main_guard(statement.test)


def _yields(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node in _own_nodes(function))


def own_nodes(function: cst.FunctionDef):
    return _own_nodes(function)


def _backref_name(value: cst.BaseExpression) -> str | None:
    """`backref="posts"`, `backref=backref("posts", ...)` (also `orm.backref`, `db.backref`) → "posts"."""
    if isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "backref" \
            and value.args and value.args[0].keyword is None:
        value = value.args[0].value
    return string_value(value)


def _class_binding(small: cst.BaseSmallStatement):
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value, None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value, small.value, small.annotation.annotation
    return None, None, None


def _required_field(annotation: cst.BaseExpression, value: cst.BaseExpression | None) -> bool:
    """A class attribute annotated so, with this value (or none), is a required field read under its own name."""
    head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    if (dotted_name(head) or "").rsplit(".", 1)[-1] == "ClassVar":
        return False
    if value is None:
        return True
    if not (isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "Field"):
        return False
    keywords = {arg.keyword.value for arg in value.args if arg.keyword is not None}
    if keywords & {"default", "default_factory", "alias", "validation_alias"}:
        return False
    positional = [arg.value for arg in value.args if arg.keyword is None and not arg.star]
    return not positional or isinstance(positional[0], cst.Ellipsis)


def _self_assignments(method: cst.FunctionDef):
    """`self.x = value` in a method's own body."""
    for node in _own_nodes(method):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
                yield target.attr.value, node.value


def _dependency_override(target: cst.BaseAssignTargetExpression) -> bool:
    """`<app>.dependency_overrides[<dependency>]`, FastAPI's table of replacement dependencies."""
    return isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) \
        and target.value.attr.value == "dependency_overrides"
