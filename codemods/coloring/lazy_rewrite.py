"""Apply F201-F205 inside the F rewrite: eager loads, awaited attributes, `AsyncAttrs`, kept or refreshed objects."""

from __future__ import annotations

import libcst as cst

from . import lazy_escapes, lazy_validation
from .lazy_loads import (AddAsyncAttrs, AwaitAttribute, KeepAfterCommit, LoadBeforeAugmentedAssignment,
                         RefreshAfterRollback, _awaitable)
from .lazy_sources import EagerLoad


# -- rewrite ---------------------------------------------------------------------------------------
def owns(data: object) -> bool:
    return isinstance(data, (EagerLoad, AwaitAttribute, LoadBeforeAugmentedAssignment, AddAsyncAttrs, KeepAfterCommit, RefreshAfterRollback,
                             lazy_escapes.LoadBeforeClose, lazy_validation.ValidateInGreenlet))


def plan(data: object, edits) -> None:
    if isinstance(data, EagerLoad):
        _plan_eager(data, edits)
    elif isinstance(data, AwaitAttribute):
        edits.replacements[id(data.read)] = lambda updated, parens=data.parenthesize: _awaitable(updated, parens)
    elif isinstance(data, LoadBeforeAugmentedAssignment):
        edits.replacements[id(data.statement)] = lambda updated, read=data.read: _load_first(updated, read)
    elif isinstance(data, AddAsyncAttrs):
        name = edits.spell("sqlalchemy.ext.asyncio", "AsyncAttrs", [data.cls])
        edits.replacements[id(data.cls)] = lambda updated, name=name: updated.with_changes(
            bases=[cst.Arg(cst.parse_expression(name), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                   *updated.bases])
    elif isinstance(data, KeepAfterCommit):
        edits.replacements[id(data.call)] = _keep_after_commit
    elif isinstance(data, RefreshAfterRollback):
        edits.replacements[id(data.statement)] = lambda updated, data=data: cst.FlattenSentinel([updated, *(
            cst.parse_statement(f"await {data.session}.refresh({name})") for name in data.names)])
    elif isinstance(data, lazy_escapes.LoadBeforeClose):
        lazy_escapes.plan(data, edits)
    elif isinstance(data, lazy_validation.ValidateInGreenlet):
        lazy_validation.plan(data, edits)


def _plan_eager(data: EagerLoad, edits) -> None:
    anchor = data.loaded.anchor
    key = id(anchor)
    pending = edits.memo.setdefault(("eager", key), [])
    if data.relationship in pending:
        return
    pending.append(data.relationship)
    loader = edits.spell("sqlalchemy.orm", "selectinload", [anchor])
    model = cst.Module([]).code_for_node(data.loaded.model)

    def add_options(updated: cst.Call) -> cst.BaseExpression:
        options = [cst.parse_expression(f"{loader}({model}.{name})") for name in pending]
        args = [cst.Arg(o, comma=_comma() if i < len(options) - 1 else cst.MaybeSentinel.DEFAULT)
                for i, o in enumerate(options)]
        return cst.Call(cst.Attribute(updated, cst.Name("options")), args)

    edits.replacements[key] = add_options


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _with_comma(args) -> list[cst.Arg]:
    args = list(args)
    if args:
        args[-1] = args[-1].with_changes(comma=_comma())
    return args


def _load_first(statement: cst.SimpleStatementLine, read: cst.Attribute) -> cst.FlattenSentinel:
    # The load takes over the statement's leading comments and blank lines: they introduced the pair.
    load = cst.SimpleStatementLine([cst.Expr(_awaitable(read, parenthesize=False))],
                                   leading_lines=statement.leading_lines)
    return cst.FlattenSentinel([load, statement.with_changes(leading_lines=[])])


def _keep_after_commit(call: cst.Call) -> cst.Call:
    setting = cst.Arg(cst.Name("False"), keyword=cst.Name("expire_on_commit"),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    return call.with_changes(args=[*_with_comma(call.args), setting])
