"""Q: the legacy 1.x Query API (`session.query(...)...`, `Model.query...`)."""

from __future__ import annotations

from functools import partial

import libcst as cst
from libcst.metadata import Assignment

from .await_sites import await_problem
from .evidence import metadata_value
from .family import Family, Recogniser
from .query_chain import Unsupported, descendants
from .query_flow import FlowAnalysis
from .query_plan import Planner
from .query_rewrite import rewrite
from .query_shape import class_like, last_name
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
        "from app.models import Job\n"
        "\n"
        "\n"
        "async def get_job(db, job_id: str):\n"
        "    return db.query(Job).filter(Job.job_id == job_id).first()\n"
    ),
    after=(
        "from app.models import Job\n"
        "from sqlalchemy import select\n"
        "\n"
        "\n"
        "async def get_job(db, job_id: str):\n"
        "    return (await db.scalars(select(Job).where(Job.job_id == job_id).limit(1))).first()\n"
    ),
    fixable=True,
    fix_notes=(
        "The chain becomes one `select()` statement run by the same session. `--target async` awaits the "
        "session call where `await` can go: in an `async def`, or in a `def` that async coloring (F101) makes "
        "async in the same run (elsewhere the finding says why); `--target sync` writes the same code without "
        "`await`.\n"
        "Terminals, one idiom each (`db.scalars` when the query selects one mapped class, `db.execute` and rows "
        "otherwise, so tuple unpacking and `row.name` keep working):\n"
        "  all() / list(q)   (await db.scalars(stmt)).all()\n"
        "  first()           (await db.scalars(stmt.limit(1))).first()\n"
        "  one(), one_or_none()   (await db.scalars(stmt)).one() / .one_or_none()\n"
        "  scalar()          (await db.execute(stmt)).scalar_one_or_none()  (None for no row, "
        "MultipleResultsFound for several, like Query.scalar)\n"
        "  count()           await db.scalar(select(func.count()).select_from(stmt.subquery())); "
        "`select(func.count()).select_from(Model).where(...)` only when nothing but criteria is applied to one "
        "mapped class\n"
        "  get(pk)           await db.get(Model, pk)  (`options()` become `options=[...]`)\n"
        "  for x in q        for x in await db.scalars(stmt)\n"
        "  q[i], q[a:b]      (await db.scalars(stmt.offset(i).limit(1))).all()[0], ...limit/offset/slice....all()\n"
        "  exists(), subquery(), cte(), scalar_subquery(), label(), .statement   the same on the select\n"
        "  update(values, synchronize_session=s)   (await db.execute(update(M).where(...).values(values)"
        ".execution_options(synchronize_session=s))).rowcount; delete() likewise\n"
        "Steps keep their names except filter -> where, filter_by(k=v) -> where(Entity.k == v) bound to the "
        "entity the legacy call meant (the last join target, else the queried class; SQLAlchemy 2.1's "
        "`filter_by` searches every FROM entity), with_entities -> with_only_columns, populate_existing() -> "
        "execution_options(populate_existing=True). `.unique()` goes before the terminal wherever the legacy "
        "Query de-duplicated ORM entities and duplicates are possible (joins, joined eager loads, columns of "
        "other classes in the criteria).\n"
        "A query kept in a local variable (`q = db.query(X)`, `if f: q = q.filter(...)`, `return q.all()`) is "
        "converted when every binding and every use is in that function. Left alone, with the reason: queries "
        "returned from or passed to other functions, `from_self()`, `yield_per()`, set operations, methods of "
        "Query subclasses, 1.x `join()` forms, `filter_by()` whose entity is not named in the source.\n"
        "Known differences: a slice whose bounds are variables that turn out negative or reversed at run time "
        "(the legacy Query raised IndexError or returned []); `.unique()` on rows holding unhashable values "
        "(JSON) raises where the legacy Query fell back to identity."
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

QUERY_CLASSES = frozenset({"sqlalchemy.orm.Query", "sqlalchemy.orm.query.Query"})
QUERY_METHODS = frozenset(
    {"filter", "filter_by", "get", "get_or_404", "first", "first_or_404", "all", "one", "one_or_none",
     "order_by", "count", "join", "outerjoin", "options", "limit", "offset", "paginate", "delete", "update",
     "with_entities", "distinct", "scalar", "exists", "group_by", "having", "slice", "from_self",
     "yield_per", "execution_options", "with_for_update", "subquery", "cte", "statement", "one_or_404"}
)


class QueryRecogniser(Recogniser):
    rules = {r.code: r for r in (SESSION_QUERY, MODEL_QUERY)}

    def __init__(self, context) -> None:
        super().__init__(context)
        self._flows: FlowAnalysis | None = None
        self._custom_query: str | None = None

    @property
    def flows(self) -> FlowAnalysis:
        if self._flows is None:
            evidence = self.evidence
            planner = Planner(self._bound_value, _code)
            self._flows = FlowAnalysis(evidence.parents, evidence.scopes, evidence.session, planner,
                                       self.context.target, _code, partial(await_problem, self.context))
        return self._flows

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "query"):
            return
        evidence = self.evidence.session(func.value)
        if evidence is None:
            return
        outer = self._outer(node)
        described = f"legacy Query API `{_describe(func.value, node, outer)}` ({evidence.describe()})"
        custom = self._custom_query_class()
        conversion = Unsupported(custom) if custom else self.flows.convert(node)
        if isinstance(conversion, Unsupported):
            self.report("Q101", outer, described, reason=conversion.reason)
        else:
            self.report("Q101", outer, described, fixable=True, data=conversion)

    def _custom_query_class(self) -> str | None:
        """A Query subclass defined or installed (`query_cls=`) in this file may change what any chain does."""
        if self._custom_query is None:
            self._custom_query = ""
            for node in descendants(self.context.module, (cst.ClassDef, cst.Arg)):
                if isinstance(node, cst.ClassDef) and any(
                    self.evidence.qualified(base.value) & QUERY_CLASSES for base in node.bases
                ):
                    self._custom_query = (f"this file defines the Query subclass `{node.name.value}`, whose methods "
                                          "may change what a chain does; convert by hand")
                    break
                if isinstance(node, cst.Arg) and node.keyword is not None and node.keyword.value == "query_cls":
                    self._custom_query = "this file installs a custom Query class (`query_cls=`); convert by hand"
                    break
        return self._custom_query or None

    def _outer(self, query_call: cst.Call) -> cst.BaseExpression:
        """The outermost node of the method chain that starts at `query_call`."""
        current: cst.BaseExpression = query_call
        while True:
            parent = self.evidence.parent(current)
            if not (isinstance(parent, cst.Attribute) and parent.value is current):
                return current
            grandparent = self.evidence.parent(parent)
            current = grandparent if isinstance(grandparent, cst.Call) and grandparent.func is parent else parent

    def _bound_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value of `name`'s only binding in scope, if it has exactly one plain assignment."""
        scope = metadata_value(self.evidence.scopes, name)
        if scope is None or name.value not in scope:
            return None
        assignments = list(scope[name.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        target = assignments[0].node
        loop = self.evidence.parent(target)
        if isinstance(loop, cst.For) and loop.target is target:
            return self._loop_element(loop.iter)
        return self.evidence.bound_value(target)

    def _loop_element(self, iterable: cst.BaseExpression) -> cst.BaseExpression | None:
        """For `for model in (Clip, Job):` (or a name bound to such a tuple), a representative element:
        the loop variable holds classes, whichever one it is."""
        if isinstance(iterable, cst.Name):
            bound = self._bound_value(iterable)
            iterable = bound if isinstance(bound, (cst.Tuple, cst.List)) else iterable
        if not isinstance(iterable, (cst.Tuple, cst.List)) or not iterable.elements:
            return None
        values = [element.value for element in iterable.elements]
        if all(isinstance(v, (cst.Name, cst.Attribute)) and class_like(last_name(v) or "") for v in values):
            return values[0]
        return None

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


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _describe(session: cst.BaseExpression, query_call: cst.Call, outer: cst.BaseExpression) -> str:
    head = f"{_code(session)}.query(...)"
    if outer is query_call:
        return head
    parent_is_call = isinstance(outer, cst.Call) and isinstance(outer.func, cst.Attribute)
    last = outer.func.attr.value + "()" if parent_is_call else outer.attr.value if isinstance(outer, cst.Attribute) else ""
    inner = outer.func.value if parent_is_call else outer.value if isinstance(outer, cst.Attribute) else None
    return f"{head}.{last}" if inner is query_call else f"{head}...{last}"


def _looks_like_model(node: cst.BaseExpression) -> bool:
    name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""
    return bool(name) and name[0].isupper() and not name.isupper()


FAMILY = Family(
    prefix="Q",
    name="query",
    rules=(SESSION_QUERY, MODEL_QUERY),
    recogniser=QueryRecogniser,
    triggers=lambda config: ((rb"\.query\b",),),
    rewrite=rewrite,
)
