"""Q: the legacy 1.x Query API (`session.query(...)...`, `Model.query...`)."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .family import NO_REWRITE_YET, Family, Recogniser
from .rule import Rule

SESSION_QUERY = Rule(
    code="Q101",
    name="session-query",
    family="query",
    summary="`session.query(...)` chain (legacy Query API)",
    why=(
        "`Session.query()` is the SQLAlchemy 1.x Query API. It is legacy in 2.0 and does not exist on "
        "`AsyncSession`, so every query chain must become a `select()` statement executed by the session "
        "before the code can run async. Semantics differ in places a mechanical rewrite gets wrong: "
        "`first()` adds LIMIT 1, `count()` counts the rows of the whole statement, `scalar()` raises on "
        "several rows, and `filter_by()` after a `join()` binds to the join target."
    ),
    before=(
        "def get_job(db: Session, job_id: str):\n"
        "    return db.query(Job).filter(Job.job_id == job_id).first()\n"
    ),
    after=(
        "async def get_job(db: AsyncSession, job_id: str):\n"
        "    return (await db.scalars(select(Job).where(Job.job_id == job_id).limit(1))).first()\n"
    ),
)
MODEL_QUERY = Rule(
    code="Q102",
    name="model-query-property",
    family="query",
    summary="`Model.query...` (Flask-SQLAlchemy query property)",
    why=(
        "`Model.query` hides which session runs the statement (a thread-local scoped session). There is no "
        "safe automatic target: the async code must receive an `AsyncSession` explicitly. sqlasync reports "
        "these sites and never rewrites them."
    ),
    before="user = User.query.filter_by(name=name).first()\n",
    after="user = (await db.scalars(select(User).where(User.name == name).limit(1))).first()\n",
)

QUERY_METHODS = frozenset(
    {"filter", "filter_by", "get", "get_or_404", "first", "first_or_404", "all", "one", "one_or_none",
     "order_by", "count", "join", "outerjoin", "options", "limit", "offset", "paginate", "delete", "update",
     "with_entities", "distinct", "scalar", "exists", "group_by", "having", "slice", "from_self",
     "yield_per", "execution_options", "with_for_update", "subquery", "cte", "statement", "one_or_404"}
)


@dataclass(frozen=True)
class QueryStep:
    name: str
    call: cst.Call | None


@dataclass(frozen=True)
class QueryChain:
    """`session.query(entities)` followed by steps; the outermost node is what a rewrite replaces."""

    session: cst.BaseExpression
    query_call: cst.Call
    steps: tuple[QueryStep, ...]
    outer: cst.BaseExpression

    def describe(self) -> str:
        session = cst.Module([]).code_for_node(self.session)
        head = f"{session}.query(...)"
        if not self.steps:
            return head
        last = self.steps[-1]
        tail = f"{last.name}()" if last.call is not None else last.name
        return f"{head}...{tail}" if len(self.steps) > 1 else f"{head}.{tail}"


class QueryRecogniser(Recogniser):
    rules = {r.code: r for r in (SESSION_QUERY, MODEL_QUERY)}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "query"):
            return
        evidence = self.evidence.session(func.value)
        if evidence is None:
            return
        chain = self._chain(func.value, node)
        self.report(
            "Q101", chain.outer,
            f"legacy Query API `{chain.describe()}` ({evidence.describe()})",
            reason=NO_REWRITE_YET, data=chain,
        )

    def _chain(self, session: cst.BaseExpression, query_call: cst.Call) -> QueryChain:
        steps: list[QueryStep] = []
        current: cst.BaseExpression = query_call
        while True:
            parent = self.evidence.parent(current)
            if not (isinstance(parent, cst.Attribute) and parent.value is current):
                break
            grandparent = self.evidence.parent(parent)
            if isinstance(grandparent, cst.Call) and grandparent.func is parent:
                steps.append(QueryStep(parent.attr.value, grandparent))
                current = grandparent
            else:
                steps.append(QueryStep(parent.attr.value, None))
                current = parent
        return QueryChain(session, query_call, tuple(steps), current)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "query" or not _looks_like_model(node.value):
            return
        parent = self.evidence.parent(node)
        if not (isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in QUERY_METHODS):
            return
        model = cst.Module([]).code_for_node(node.value)
        if self._declares_query_column(model):
            return
        self.report(
            "Q102", node,
            f"`{model}.query` uses the Flask-SQLAlchemy query property",
            reason="no safe automatic target: the function must receive an AsyncSession explicitly",
        )

    def _declares_query_column(self, model: str) -> bool:
        """A model defined in this file with a class attribute named `query` (a column, not the property)."""
        for statement in self.context.module.body:
            if isinstance(statement, cst.ClassDef) and statement.name.value == model:
                for line in statement.body.body:
                    if isinstance(line, cst.SimpleStatementLine):
                        for small in line.body:
                            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                                [small.target] if isinstance(small, cst.AnnAssign) else [])
                            if any(isinstance(t, cst.Name) and t.value == "query" for t in targets):
                                return True
        return False


def _looks_like_model(node: cst.BaseExpression) -> bool:
    name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""
    return bool(name) and name[0].isupper() and not name.isupper()


FAMILY = Family(
    prefix="Q",
    name="query",
    rules=(SESSION_QUERY, MODEL_QUERY),
    recogniser=QueryRecogniser,
    triggers=lambda config: ((rb"\.query\b",),),
)
