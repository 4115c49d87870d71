"""Where an asyncpg result goes once fetched, and what its conversion must change on the way.

asyncpg hands back `Record`s (readable by column name *and* by position, iterating over values),
status strings such as `"UPDATE 3"`, and JSON/JSONB columns as text (no codec is registered on a
plain pool). SQLAlchemy's asyncpg dialect decodes JSON itself and returns rows either as mappings
(by name, iterating over keys) or as `Row`s (by position). So for each converted call this module
follows the result through local variables, loops, comprehensions and the module's own helper
functions, and decides:

* mappings or rows: `.mappings()` unless every read is positional (`row[0]`, unpacking, iteration);
  reads of both kinds cannot be served by either, and the site is left;
* `json.loads(row["col"])` on a fetched column goes (with `None if x is None else json.loads(x)`);
* a status string is only ever turned into a count (`int(status.split()[-1])`, `status == "DELETE 1"`),
  which becomes `rowcount`; any other use leaves the site.

A helper the rows reach is changed only when every call of it is converted too (see the plan).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment

from ..core.evidence import ReceiverEvidence
from ..core.nodes import dotted_name, metadata_value, string_value

MAX_HELPER_DEPTH = 3
_STATUS_TAG = re.compile(r"^(?:INSERT 0|[A-Z]+) (\d+)$")
_MAPPING_METHODS = frozenset({"get", "keys", "items", "values"})
_VALUE_ITERATORS = frozenset({"tuple", "list", "set", "sorted", "enumerate", "zip", "iter", "reversed", "frozenset"})


class Kind(enum.Enum):
    RECORDS = "records"  # fetch
    RECORD = "record"  # fetchrow
    SCALAR = "scalar"  # fetchval
    STATUS = "status"  # execute
    NOTHING = "nothing"  # executemany


RESULT_KINDS = {"fetch": Kind.RECORDS, "fetchrow": Kind.RECORD, "fetchval": Kind.SCALAR, "execute": Kind.STATUS,
                "executemany": Kind.NOTHING}


class EditKind(enum.Enum):
    FIRST_ARGUMENT = "json.loads(x) -> x"
    OR_ELSE = "None if x is None else x -> x"
    ROWCOUNT = "int(status.split()[-1]) -> status.rowcount"
    ROWCOUNT_COMPARISON = "status == 'DELETE 1' -> status.rowcount == 1"
    RECORD_ANNOTATION = "asyncpg.Record -> RowMapping / Row"


@dataclass(frozen=True)
class Edit:
    kind: EditKind
    node: cst.CSTNode
    count: int = 0  # ROWCOUNT_COMPARISON: the number the status string carried


@dataclass
class HelperUse:
    """A module-level function a converted result is handed to, and what converting it changes in it."""

    function: cst.FunctionDef
    calls: set[int] = field(default_factory=set)
    edits: list[Edit] = field(default_factory=list)

    @property
    def must_change(self) -> bool:
        return any(edit.kind is not EditKind.RECORD_ANNOTATION for edit in self.edits)


@dataclass
class Flow:
    """Everything one converted call's result touches."""

    by_name: bool = False
    by_position: bool = False
    edits: list[Edit] = field(default_factory=list)
    helpers: dict[int, HelperUse] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def positional(self) -> bool:
        return self.by_position and not self.by_name


class FlowAnalysis:
    """Follows results within one module."""

    def __init__(self, evidence: ReceiverEvidence) -> None:
        self.evidence = evidence
        self.scopes = evidence.scopes

    def follow(self, value: cst.BaseExpression, method: str) -> Flow:
        flow = Flow()
        self._value(value, RESULT_KINDS[method], flow, None, 0)
        if flow.by_name and flow.by_position:
            flow.problems.append("its records are read both by position (`row[0]`, unpacking) and by column name, "
                                 "which neither SQLAlchemy mappings nor rows allow")
        return flow

    # -- a value of a known kind, at the place it is used -----------------------------------------
    def _value(self, node: cst.BaseExpression, kind: Kind, flow: Flow, helper: HelperUse | None, depth: int) -> None:
        parent = self.evidence.parent(node)
        if kind is Kind.STATUS and not (isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node):
            self._status(node, parent, flow, helper)
        elif isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
            targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
            for target in targets:
                self._bound(target, kind, flow, helper, depth)
        elif isinstance(parent, cst.Arg):
            self._argument(parent, node, kind, flow, helper, depth)
        elif isinstance(parent, cst.Subscript) and parent.value is node:
            self._subscript(parent, kind, flow, helper, depth)
        elif isinstance(parent, cst.Attribute) and parent.value is node:
            self._attribute(parent, kind, flow)
        elif isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
            self._iterated(parent, kind, flow, helper, depth)

    def _bound(self, target: cst.BaseExpression, kind: Kind, flow: Flow, helper: HelperUse | None,
               depth: int) -> None:
        if isinstance(target, cst.Name):
            for reference in self._references(target):
                self._value(reference, kind, flow, helper, depth)
        elif isinstance(target, (cst.Tuple, cst.List)) and kind is Kind.RECORD:
            flow.by_position = True
        elif kind is not Kind.SCALAR:
            flow.problems.append(f"its result is unpacked into `{_code(target)}`")

    def _references(self, name: cst.Name) -> list[cst.Name]:
        scope = metadata_value(self.scopes, name)
        if scope is None:
            return []
        found = []
        for assignment in scope.assignments[name.value]:
            if isinstance(assignment, Assignment) and assignment.node is name:
                found.extend(access.node for access in assignment.references if isinstance(access.node, cst.Name))
        return found

    def _argument(self, arg: cst.Arg, node: cst.BaseExpression, kind: Kind, flow: Flow, helper: HelperUse | None,
                  depth: int) -> None:
        call = self.evidence.parent(arg)
        if not isinstance(call, cst.Call) or arg.star:
            return
        if self._is_json_loads(call) and kind is Kind.SCALAR:
            self._record_edit(flow, helper, Edit(EditKind.FIRST_ARGUMENT, call))
            self._or_else(call, flow, helper)
            return
        name = dotted_name(call.func)
        if kind is Kind.RECORD and name == "dict":
            flow.by_name = True
        elif kind is Kind.RECORD and name in _VALUE_ITERATORS:
            flow.by_position = True
        elif kind in (Kind.RECORD, Kind.RECORDS):
            target = self._module_function(call.func)
            if target is not None:
                self._helper(target, call, arg, kind, flow, depth)

    def _subscript(self, subscript: cst.Subscript, kind: Kind, flow: Flow, helper: HelperUse | None,
                   depth: int) -> None:
        index = subscript.slice[0].slice if len(subscript.slice) == 1 else None
        value = index.value if isinstance(index, cst.Index) else None
        if kind is Kind.RECORDS:
            element_kind = Kind.RECORD if isinstance(value, (cst.Integer, cst.UnaryOperation)) else Kind.RECORDS
            self._value(subscript, element_kind, flow, helper, depth)
        elif kind is Kind.RECORD:
            if isinstance(value, (cst.Integer, cst.UnaryOperation)) or isinstance(index, cst.Slice):
                flow.by_position = True
            elif string_value(value) is not None:
                flow.by_name = True
                self._column_read(subscript, flow, helper)
            else:
                flow.problems.append("a record is indexed by a computed key, which may be a position")

    def _column_read(self, read: cst.Subscript, flow: Flow, helper: HelperUse | None) -> None:
        """`json.loads(row["col"])`: the dialect already decoded the JSON column."""
        arg = self.evidence.parent(read)
        call = self.evidence.parent(arg) if isinstance(arg, cst.Arg) else None
        if isinstance(call, cst.Call) and self._is_json_loads(call) and len(call.args) == 1:
            self._record_edit(flow, helper, Edit(EditKind.FIRST_ARGUMENT, call))
            self._or_else(call, flow, helper)

    def _or_else(self, loads: cst.Call, flow: Flow, helper: HelperUse | None) -> None:
        """`None if x is None else json.loads(x)` is `x` once the decoding goes."""
        conditional = self.evidence.parent(loads)
        if not (isinstance(conditional, cst.IfExp) and conditional.orelse is loads):
            return
        test = conditional.test
        argument = _code(loads.args[0].value)
        if isinstance(conditional.body, cst.Name) and conditional.body.value == "None" \
                and isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
                and isinstance(test.comparisons[0].operator, cst.Is) \
                and dotted_name(test.comparisons[0].comparator) == "None" \
                and _code(test.left) == argument:
            self._record_edit(flow, helper, Edit(EditKind.OR_ELSE, conditional))

    def _attribute(self, attribute: cst.Attribute, kind: Kind, flow: Flow) -> None:
        if kind is Kind.RECORD:
            if attribute.attr.value in _MAPPING_METHODS:
                flow.by_name = True
            else:
                flow.problems.append(f"a record's `.{attribute.attr.value}` has no SQLAlchemy equivalent")

    def _iterated(self, loop: cst.For | cst.CompFor, kind: Kind, flow: Flow, helper: HelperUse | None,
                  depth: int) -> None:
        if kind is Kind.RECORD:
            flow.by_position = True
        elif kind is Kind.RECORDS:
            self._bound(loop.target, Kind.RECORD, flow, helper, depth)

    # -- status strings ------------------------------------------------------------------------
    def _status(self, node: cst.BaseExpression, parent: cst.CSTNode | None, flow: Flow,
                helper: HelperUse | None) -> None:
        if isinstance(parent, cst.Expr):
            return
        if isinstance(parent, cst.Comparison):
            self._status_comparison(parent, node, flow, helper)
        elif not self._status_count(node, flow, helper):
            flow.problems.append("asyncpg's status string (e.g. \"UPDATE 3\") is used in a way that has no "
                                 "SQLAlchemy equivalent; only `int(status.split()[-1])` and `status == \"UPDATE 1\"` "
                                 "are converted (to `rowcount`)")

    def _status_count(self, node: cst.BaseExpression, flow: Flow, helper: HelperUse | None) -> bool:
        """`int(status.split()[-1])` (node is `status`): the count asyncpg put at the end of the tag."""
        split = self.evidence.parent(node)
        split_call = self.evidence.parent(split) if isinstance(split, cst.Attribute) else None
        last = self.evidence.parent(split_call) if isinstance(split_call, cst.Call) else None
        arg = self.evidence.parent(last) if isinstance(last, cst.Subscript) else None
        conversion = self.evidence.parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(split, cst.Attribute) and split.attr.value == "split"
                and isinstance(split_call, cst.Call) and not split_call.args and isinstance(last, cst.Subscript)
                and _code(last.slice[0]).strip() == "-1"
                and isinstance(conversion, cst.Call) and dotted_name(conversion.func) == "int"
                and len(conversion.args) == 1):
            return False
        self._record_edit(flow, helper, Edit(EditKind.ROWCOUNT, conversion))
        return True

    def _status_comparison(self, comparison: cst.Comparison, node: cst.BaseExpression, flow: Flow,
                           helper: HelperUse | None) -> None:
        other = comparison.comparisons[0].comparator if comparison.left is node else comparison.left
        tag = string_value(other) if len(comparison.comparisons) == 1 else None
        matched = _STATUS_TAG.match(tag) if tag is not None else None
        operator = comparison.comparisons[0].operator
        if matched is None or not isinstance(operator, (cst.Equal, cst.NotEqual)):
            flow.problems.append("asyncpg's status string is compared with something other than a status line")
            return
        self._record_edit(flow, helper, Edit(EditKind.ROWCOUNT_COMPARISON, comparison, int(matched.group(1))))

    # -- helpers -------------------------------------------------------------------------------
    def _module_function(self, func: cst.BaseExpression) -> cst.FunctionDef | None:
        if not isinstance(func, cst.Name):
            return None
        scope = metadata_value(self.scopes, func)
        if scope is None or func.value not in scope:
            return None
        definitions = [a.node for a in scope[func.value] if isinstance(a, Assignment)]
        if len(definitions) != 1 or not isinstance(definitions[0], cst.FunctionDef):
            return None
        definition = definitions[0]
        return definition if isinstance(self.evidence.parent(definition), cst.Module) else None

    def _helper(self, function: cst.FunctionDef, call: cst.Call, arg: cst.Arg, kind: Kind, flow: Flow,
                depth: int) -> None:
        param = _parameter_for(function, call, arg)
        if param is None or depth >= MAX_HELPER_DEPTH:
            flow.problems.append(f"its records are handed to `{function.name.value}()` in a way that cannot be "
                                 "followed")
            return
        use = flow.helpers.setdefault(id(function), HelperUse(function))
        use.calls.add(id(call))
        if param.annotation is not None and _is_record_type(self.evidence, param.annotation.annotation):
            self._record_edit(flow, use, Edit(EditKind.RECORD_ANNOTATION, param.annotation))
        scope = metadata_value(self.scopes, function.body.body[0]) if function.body.body else None
        if scope is None:
            return
        for assignment in scope.assignments[param.name.value]:
            if isinstance(assignment, Assignment) and assignment.node is param:
                for access in assignment.references:
                    if isinstance(access.node, cst.Name):
                        self._value(access.node, kind, flow, use, depth + 1)

    @staticmethod
    def _record_edit(flow: Flow, helper: HelperUse | None, edit: Edit) -> None:
        (helper.edits if helper is not None else flow.edits).append(edit)

    def _is_json_loads(self, call: cst.Call) -> bool:
        return bool(self.evidence.qualified(call.func) & {"json.loads"})


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _parameter_for(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg) -> cst.Param | None:
    positional = [*function.params.posonly_params, *function.params.params]
    if arg.keyword is not None:
        return next((p for p in [*positional, *function.params.kwonly_params] if p.name.value == arg.keyword.value),
                    None)
    index = [a for a in call.args if a.keyword is None].index(arg)
    if any(a.star for a in call.args[:index + 1]):
        return None
    return positional[index] if index < len(positional) else None


def _is_record_type(evidence: ReceiverEvidence, annotation: cst.BaseExpression) -> bool:
    names = evidence.qualified(annotation)
    return bool(names & {"asyncpg.Record", "asyncpg.protocol.Record"}) or (
        not names and dotted_name(annotation) == "asyncpg.Record")
