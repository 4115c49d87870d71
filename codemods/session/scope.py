"""Where a session bound by hand (`db = SessionLocal()`) lives, and whether it can become a block or a parameter.

A session created by a statement `db = <acquire>` is closed by hand (`db.close()`), or never. It can be
replaced by `async with <acquire> as db:` around the statements that use it, or, in a route handler,
by a `db: AsyncSession = Depends(get_db)` parameter. Both need the binding to be the only one of `db`
in its function, and the block form needs every use to follow the binding in the same block, with
nothing (a `return db`, a closure, an alias) letting the session outlive the block.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment

from ..core.evidence import ReceiverEvidence
from ..core.nodes import metadata_value


@dataclass(frozen=True)
class Binding:
    """`name = <acquire>` as a statement of its own inside `function`."""

    statement: cst.SimpleStatementLine
    name: str
    function: cst.FunctionDef
    block: cst.IndentedBlock
    # Statements `name.close()` anywhere in the function: the new owner of the session closes it.
    closes: tuple[cst.SimpleStatementLine, ...]
    # Every other reference to the name.
    uses: tuple[cst.Name, ...]
    # The name is bound again before or after this statement, in the same block.
    rebound: bool = False
    # The statement that binds the name next (this binding's uses all come before it).
    next_binding: cst.BaseStatement | None = None


def binding_of(evidence: ReceiverEvidence, acquire: cst.Call) -> Binding | str:
    """The binding statement around `acquire`, or why there is none that a rewrite can own."""
    assign = evidence.parent(acquire)
    if isinstance(assign, cst.Assign):
        targets = assign.targets
        if len(targets) != 1 or not isinstance(targets[0].target, cst.Name):
            return "the session is not bound to one plain name; convert by hand"
        target = targets[0].target
    elif isinstance(assign, cst.AnnAssign) and assign.value is acquire and isinstance(assign.target, cst.Name):
        target = assign.target
    else:
        return ("the session is handed on directly (returned, passed or stored); the code that uses it must own "
                "it: `async with ... as db:` or `Depends(get_db)`")
    statement = evidence.parent(assign)
    block = evidence.parent(statement) if isinstance(statement, cst.SimpleStatementLine) else None
    if not isinstance(block, cst.IndentedBlock) or len(statement.body) != 1:
        return "the session is bound at module level or on a line with other statements; convert by hand"
    function = evidence.enclosing(statement, cst.FunctionDef)
    if function is None:
        return "the session is bound outside a function; convert by hand"
    scope = metadata_value(evidence.scopes, target)
    assignments = list(scope.assignments[target.value]) if scope is not None else []
    statements = list(block.body)
    interval = _own_interval(evidence, assignments, target, statements)
    if interval is None:
        return (f"`{target.value}` is bound more than once in `{function.name.value}`, not one statement after "
                "another in one block; convert by hand")
    first, until = interval
    closes: list[cst.SimpleStatementLine] = []
    uses: list[cst.Name] = []
    references = {id(access.node): access for a in assignments for access in a.references}.values()
    for access in references:
        top = _top_statement(evidence, access.node, block)
        if top in statements and not first < statements.index(top) < until:
            continue
        close = _close_statement(evidence, access.node, target.value)
        if close is not None:
            closes.append(close)
        elif access.scope is not scope and not _in_comprehension(evidence, access.node, function):
            return (f"`{target.value}` is used inside a nested function or lambda, which may run after the "
                    "session is closed; convert by hand")
        else:
            uses.append(access.node)
    rebound = len(assignments) > 1
    following = statements[until] if until < len(statements) else None
    return Binding(statement, target.value, function, block, tuple(closes), tuple(uses), rebound, following)


def _own_interval(evidence: ReceiverEvidence, assignments: list, target: cst.Name,
                  statements: list[cst.BaseStatement]) -> tuple[int, int] | None:
    """(index of this binding, index of the next one or the block's end) when every binding of the name is a
    statement `name = ...` of this block, so that each one's uses are the statements up to the next."""
    positions = []
    for assignment in assignments:
        if not isinstance(assignment, Assignment):
            return None
        statement = _statement_of(evidence, assignment.node)
        if statement is None or statement not in statements:
            return None
        positions.append((statements.index(statement), assignment.node is target))
    mine = next(index for index, is_target in positions if is_target)
    later = [index for index, _ in positions if index > mine]
    return mine, min(later, default=len(statements))


def _statement_of(evidence: ReceiverEvidence, name: cst.CSTNode) -> cst.SimpleStatementLine | None:
    """The statement of `name = value` (or `name: T = value`) when that is all the line does."""
    target = evidence.parent(name)
    assign = evidence.parent(target) if isinstance(target, cst.AssignTarget) else target
    if isinstance(assign, cst.Assign) and len(assign.targets) != 1:
        return None
    if not (isinstance(assign, cst.Assign) or (isinstance(assign, cst.AnnAssign) and assign.value is not None)):
        return None
    statement = evidence.parent(assign)
    return statement if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None


def _close_statement(evidence: ReceiverEvidence, name: cst.Name, variable: str) -> cst.SimpleStatementLine | None:
    attribute = evidence.parent(name)
    call = evidence.parent(attribute) if isinstance(attribute, cst.Attribute) else None
    expression = evidence.parent(call) if isinstance(call, cst.Call) else None
    statement = evidence.parent(expression) if isinstance(expression, cst.Expr) else None
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and m.matches(
            call, m.Call(func=m.Attribute(value=m.Name(variable), attr=m.Name("close")), args=[])):
        return statement
    return None


def _in_comprehension(evidence: ReceiverEvidence, node: cst.CSTNode, function: cst.FunctionDef) -> bool:
    current = evidence.parent(node)
    while current is not None and current is not function:
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            return False
        current = evidence.parent(current)
    return True


@dataclass(frozen=True)
class BlockSpan:
    """The statements after the binding, in its block, that must run while the session is open."""

    last: cst.BaseStatement | None


def block_span(evidence: ReceiverEvidence, binding: Binding) -> BlockSpan | str:
    """Up to the last statement using the session or a value derived from it (`job = db.get(...)`, `repo =
    Repo(db)`), so nothing loaded through the session is used after the block closes it."""
    statements = list(binding.block.body)
    start = statements.index(binding.statement)
    end = statements.index(binding.next_binding) if binding.next_binding is not None else len(statements)
    following = statements[start + 1:end]
    outside = [use for use in binding.uses if _top_statement(evidence, use, binding.block) not in following]
    if outside:
        return (f"`{binding.name}` is used outside the block that creates it (or before it); "
                "convert by hand")
    for use in binding.uses:
        if _escapes(evidence, use):
            return (f"the session escapes (`{cst.Module([]).code_for_node(evidence.parent(use))}`), so it would "
                    "outlive any block here; let the caller own it")
    tainted = {binding.name}
    last: cst.BaseStatement | None = None
    for statement in following:
        names = {n.value for n in m.findall(statement, m.Name())}
        if names & tainted and statement not in binding.closes:
            last = statement
            tainted |= _assigned_names(statement)
    return BlockSpan(last)


def _top_statement(evidence: ReceiverEvidence, node: cst.CSTNode, block: cst.IndentedBlock) -> cst.CSTNode | None:
    current: cst.CSTNode | None = node
    while current is not None:
        parent = evidence.parent(current)
        if parent is block:
            return current
        current = parent
    return None


def _escapes(evidence: ReceiverEvidence, name: cst.Name) -> bool:
    parent = evidence.parent(name)
    if isinstance(parent, cst.Return):
        return True
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)) and parent.value is name:
        return True
    return False


def _assigned_names(statement: cst.BaseStatement) -> set[str]:
    names: set[str] = set()
    for target in m.findall(statement, m.AssignTarget() | m.AnnAssign() | m.For() | m.AsName() | m.NamedExpr()):
        bound = target.target if not isinstance(target, cst.AsName) else target.name
        names |= {n.value for n in m.findall(bound, m.Name())}
    return names
