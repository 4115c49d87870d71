"""Apply E107/E108 inside the bootstrap rewrite: awaited or `asyncio.run()` engine calls, and `Inspector`
calls moved onto the sync connection of `async with engine.connect() as conn:`."""

from __future__ import annotations

import libcst as cst

from .engine_calls_plan import AwaitEngineCall, ConnectionBlock, InspectSite, RunEngineCall, RunOnConnection

_code = cst.Module([]).code_for_node


class EngineCallRewrite:
    def __init__(self, plans: list[object]) -> None:
        self.awaits = {id(p.call): p for p in plans if isinstance(p, AwaitEngineCall)}
        self.awaits.update({id(a.call): a for p in plans if isinstance(p, ConnectionBlock) for a in p.awaits})
        self.blocks = {id(p.statement) for p in plans if isinstance(p, ConnectionBlock)}
        self.helpers = {id(r.call): r for p in plans if isinstance(p, ConnectionBlock) for r in p.runs}
        self.runs = {id(p.call) for p in plans if isinstance(p, RunEngineCall)}
        self.uses = {id(call): p for p in plans if isinstance(p, InspectSite) for call in p.uses}
        self.statements = {id(p.statement): p for p in plans if isinstance(p, InspectSite) and p.last is None}
        self.spans = {id(p.statement): p for p in plans if isinstance(p, InspectSite) and p.last is not None}

    @staticmethod
    def needs_asyncio(plans: list[object]) -> bool:
        return any(isinstance(p, RunEngineCall) for p in plans)

    def call(self, original: cst.Call, updated: cst.BaseExpression) -> cst.BaseExpression:
        if id(original) in self.runs:
            return cst.Call(cst.parse_expression("asyncio.run"), [cst.Arg(updated)])
        plan = self.awaits.get(id(original))
        if plan is not None:
            awaited = cst.Await(updated)
            return awaited.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if plan.parenthesize else awaited
        helper = self.helpers.get(id(original))
        if helper is not None and isinstance(updated, cst.Call):
            return _run_on_connection(helper, updated)
        site = self.uses.get(id(original))
        if site is None or not isinstance(updated, cst.Call) or not isinstance(updated.func, cst.Attribute):
            return updated
        on_sync = updated.with_changes(func=updated.func.with_changes(
            value=cst.parse_expression(f"{site.inspect}({site.sync_connection})")))
        run = cst.parse_expression(f"(await {site.connection}.run_sync(lambda {site.sync_connection}: "
                                   f"{_code(on_sync)}))")
        return run if id(original) in site.parenthesized else run.with_changes(lpar=[], rpar=[])

    def with_statement(self, original: cst.With, updated: cst.With) -> cst.With:
        return updated.with_changes(asynchronous=cst.Asynchronous()) if id(original) in self.blocks else updated

    def statement(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine) -> cst.BaseStatement:
        site = self.statements.get(id(original))
        if site is None:
            return updated
        return _connected(site, [updated.with_changes(leading_lines=())], updated.leading_lines)

    def block(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not any(id(s) in self.spans for s in original.body):
            return updated
        output: list[cst.BaseStatement] = []
        pairs = list(zip(original.body, updated.body))
        index = 0
        while index < len(pairs):
            before, after = pairs[index]
            site = self.spans.get(id(before))
            if site is None:
                output.append(after)
                index += 1
                continue
            end = next(i for i, (statement, _) in enumerate(pairs) if statement is site.last)
            inner = [statement for _, statement in pairs[index + 1:end + 1]]
            comments = [line for line in after.leading_lines if line.comment is not None]
            inner[0] = inner[0].with_changes(leading_lines=[*comments, *inner[0].leading_lines])
            lines = [line for line in after.leading_lines if line.comment is None]
            output.append(_connected(site, inner, lines))
            index = end + 1
        return updated.with_changes(body=output)


def _run_on_connection(helper: RunOnConnection, call: cst.Call) -> cst.BaseExpression:
    """`helper(conn, a, b=c)` → `await conn.run_sync(helper, a, b=c)`."""
    first = call.args[0].with_changes(value=call.func)
    run = cst.Call(cst.Attribute(cst.Name(helper.connection), cst.Name("run_sync")), [first, *call.args[1:]],
                   whitespace_before_args=call.whitespace_before_args)
    awaited = cst.Await(run)
    return awaited.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if helper.parenthesize else awaited


def _connected(site: InspectSite, body: list[cst.BaseStatement], leading_lines) -> cst.With:
    block = cst.parse_statement(f"async with {site.engine}.connect() as {site.connection}:\n    pass\n")
    return block.with_changes(leading_lines=leading_lines, body=block.body.with_changes(body=body))

