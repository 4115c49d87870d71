"""E105: a sync `get_db` generator becomes the async dependency that owns its session.

    async def get_db():
        async with SessionLocal() as db:
            try:
                yield db
                await db.commit()
            except Exception:
                await db.rollback()
                raise

The legacy function may only open a session (`db = SessionLocal()` or `with SessionLocal() as db:`),
yield it, and commit / roll back / close it, in any try/except/finally arrangement; anything else
(logging, extra set-up) is left for a person, who knows what it was for.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from ..core.evidence import ReceiverEvidence
from ..core.nodes import dotted_name

SESSION_CALLS = frozenset({"close", "commit", "rollback"})
# Sync generator annotations and their async twins.
ASYNC_RETURNS = {"Generator": "AsyncGenerator", "Iterator": "AsyncIterator", "Iterable": "AsyncIterable"}
RETURN_MODULES = ("typing", "collections.abc")


@dataclass(frozen=True)
class GetDbPlan:
    function: cst.FunctionDef
    factory: cst.Call
    variable: str
    # (module, async twin) for the return annotation, or None when there is none.
    returns: tuple[str, str] | None


def plan_get_db(evidence: ReceiverEvidence, function: cst.FunctionDef) -> GetDbPlan | str:
    statements = _body_without_docstring(function)
    acquisitions: list[tuple[str, cst.Call]] = []
    problem = _check(evidence, statements, acquisitions)
    if problem is None and len(acquisitions) != 1:
        problem = "it does not open exactly one session"
    if problem is not None:
        return (f"`{function.name.value}` does more than open, yield, commit/roll back and close a session "
                f"({problem}); rewrite it by hand as an `async with` block that yields, commits and rolls back")
    variable, factory = acquisitions[0]
    if not _yields_exactly(statements, variable):
        return f"`{function.name.value}` must yield its session exactly once; rewrite it by hand"
    returns = None
    if function.returns is not None:
        returns = _async_return(evidence, function.returns.annotation)
        if returns is None:
            return (f"the return annotation of `{function.name.value}` is not Generator/Iterator/Iterable[...]; "
                    "rewrite it by hand")
    return GetDbPlan(function, factory, variable, returns)


def _body_without_docstring(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else []
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    return statements


def _is_docstring(statement: cst.CSTNode) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]))


def _check(evidence: ReceiverEvidence, statements, acquisitions: list[tuple[str, cst.Call]]) -> str | None:
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                problem = _check_small(evidence, small, acquisitions)
                if problem:
                    return problem
        elif isinstance(statement, cst.Try):
            blocks = [statement.body.body, *(h.body.body for h in statement.handlers)]
            blocks += [statement.orelse.body.body] if statement.orelse else []
            blocks += [statement.finalbody.body.body] if statement.finalbody else []
            for block in blocks:
                problem = _check(evidence, block, acquisitions)
                if problem:
                    return problem
        elif isinstance(statement, cst.With) and statement.asynchronous is None and len(statement.items) == 1 \
                and _is_factory(evidence, statement.items[0].item) and statement.items[0].asname is not None \
                and isinstance(statement.items[0].asname.name, cst.Name):
            acquisitions.append((statement.items[0].asname.name.value, statement.items[0].item))
            problem = _check(evidence, statement.body.body, acquisitions)
            if problem:
                return problem
        else:
            return f"a `{type(statement).__name__.lower()}` statement"
    return None


def _check_small(evidence: ReceiverEvidence, small: cst.BaseSmallStatement, acquisitions) -> str | None:
    if isinstance(small, (cst.Pass, cst.Raise)) and not (isinstance(small, cst.Raise) and small.exc is not None):
        return None
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
            and _is_factory(evidence, small.value):
        acquisitions.append((small.targets[0].target.value, small.value))
        return None
    if isinstance(small, cst.Expr):
        value = small.value
        if isinstance(value, cst.Yield) and isinstance(value.value, cst.Name):
            return None
        if m.matches(value, m.Call(func=m.Attribute(value=m.Name(), attr=m.Name()), args=[])) and \
                value.func.attr.value in SESSION_CALLS:
            return None
    return f"`{cst.Module([]).code_for_node(small)}`"


def _is_factory(evidence: ReceiverEvidence, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and evidence.is_session_factory_call(node) is not None


def _yields_exactly(statements, variable: str) -> bool:
    found = m.findall(cst.Module(body=statements), m.Yield())
    return len(found) == 1 and m.matches(found[0].value, m.Name(variable))


def _async_return(evidence: ReceiverEvidence, annotation: cst.BaseExpression) -> tuple[str, str] | None:
    head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    for qualified in sorted(evidence.qualified(head)):
        module, _, name = qualified.rpartition(".")
        if module in RETURN_MODULES and name in ASYNC_RETURNS:
            return module, ASYNC_RETURNS[name]
    name = dotted_name(head) or ""
    return ("typing", ASYNC_RETURNS[name]) if name in ASYNC_RETURNS and not evidence.qualified(head) else None


def render(function: cst.FunctionDef, plan: GetDbPlan, factory_code: str, session_type: str,
           returns: str | None) -> cst.FunctionDef:
    """The async dependency, keeping the legacy function's name, parameters, decorators and docstring."""
    variable = plan.variable
    annotation = ""
    if returns is not None:
        annotation = (f" -> {returns}[{session_type}, None]" if plan.returns[1] == "AsyncGenerator"
                      else f" -> {returns}[{session_type}]")
    text = (
        f"async def {function.name.value}(){annotation}:\n"
        f"    async with {factory_code} as {variable}:\n"
        f"        try:\n"
        f"            yield {variable}\n"
        f"            await {variable}.commit()\n"
        f"        except Exception:\n"
        f"            await {variable}.rollback()\n"
        f"            raise\n"
    )
    template = cst.parse_statement(text)
    body = list(template.body.body)
    original = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    if original and _is_docstring(original[0]):
        body.insert(0, original[0])
    return function.with_changes(
        asynchronous=cst.Asynchronous(),
        returns=template.returns,
        body=function.body.with_changes(body=body) if isinstance(function.body, cst.IndentedBlock) else template.body,
    )
