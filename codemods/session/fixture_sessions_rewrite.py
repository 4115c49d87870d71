"""Apply a `FixtureHandout` to its fixture: the fixture's block owns what it hands out.

    yield SessionLocal()                     async with SessionLocal() as session:
                                     ->          yield session

    session = SessionLocal()                 async with SessionLocal() as session:
    yield session                    ->          yield session
    session.close()

The fixture itself becomes `async def` through the async coloring (family F), which sees the `async with`.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from .fixture_sessions import FixtureHandout


def own_handout(function: cst.FunctionDef, plan: FixtureHandout, opener: cst.BaseExpression,
                asynchronous: bool) -> cst.FunctionDef:
    """`function` (the fixture as the other edits of the file left it) with `opener` entered by a block.
    `opener` is the acquisition call as it must be written (`AsyncSession(engine)` for `Session(engine)`)."""
    statements = list(function.body.body)
    first = statements[plan.start]
    keyword = cst.Asynchronous() if asynchronous else None
    if plan.shape == "with":
        item = first.items[0].with_changes(item=opener)
        statements[plan.start] = first.with_changes(items=[item], asynchronous=keyword)
        return _without_closes(function.with_changes(body=function.body.with_changes(body=statements)), plan.name)
    if plan.shape == "direct":
        inner = [cst.SimpleStatementLine([cst.Expr(cst.Yield(cst.Name(plan.name)))])]
    else:
        inner = [_yield_instead_of_return(s) for s in statements[plan.start + 1:plan.end + 1]]
    block = cst.With(
        items=[cst.WithItem(opener, asname=cst.AsName(cst.Name(plan.name)))],
        body=cst.IndentedBlock(body=inner, header=first.trailing_whitespace),
        asynchronous=keyword,
        leading_lines=first.leading_lines,
    )
    statements[plan.start:plan.end + 1] = [block]
    return _without_closes(function.with_changes(body=function.body.with_changes(body=statements)), plan.name)


def _yield_instead_of_return(statement: cst.BaseStatement) -> cst.BaseStatement:
    """`return session` hands the session out and ends the fixture; in the block it is `yield session`, so the
    block closes the session once the users are done with it."""
    if m.matches(statement, m.SimpleStatementLine(body=[m.Return(value=m.Name())])):
        return statement.with_changes(body=[cst.Expr(cst.Yield(statement.body[0].value))])
    return statement


def _without_closes(function: cst.FunctionDef, name: str) -> cst.FunctionDef:
    return function.visit(_DropCloses(name))


class _DropCloses(cst.CSTTransformer):
    """`name.close()` goes (the block closes it); a `try` left with an empty `finally` loses it, and is
    unwrapped when nothing else remains of it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.close = m.SimpleStatementLine(body=[m.Expr(m.Call(
            func=m.Attribute(value=m.Name(name), attr=m.Name("close")), args=[]))])

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body = [s for s in updated.body if not m.matches(s, self.close)]
        return updated.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])])

    def leave_Try(self, original: cst.Try, updated: cst.Try):
        final = updated.finalbody
        if final is None or not m.matches(final.body, m.IndentedBlock(body=[m.SimpleStatementLine([m.Pass()])])) \
                or not all(m.matches(s, self.close) for s in original.finalbody.body.body):
            return updated
        if updated.handlers:
            return updated.with_changes(finalbody=None)
        statements = list(updated.body.body)
        statements[0] = statements[0].with_changes(leading_lines=[*updated.leading_lines, *statements[0].leading_lines])
        return cst.FlattenSentinel(statements)
