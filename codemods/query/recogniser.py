"""Q: the legacy 1.x Query API (`session.query(...)...`, `Model.query...`)."""

from __future__ import annotations

from functools import partial

import libcst as cst

from . import params as query_params, returns as query_returns, returns_repository
from ..core.await_sites import await_problem
from ..core.functions import qualname_of
from ..index.scan import ModuleScanner
from ..core.receivers import FLASK_SQLALCHEMY_SESSION
from ..core.family import Family, Recogniser
from .flask_models import FlaskDb, FlaskModels
from .chain import Unsupported, Use, passed_to, read_chain
from .flow import FlowAnalysis
from .plan import Planner
from .rewrite import rewrite
from .recognise_flask import _FlaskQueries
from .recognise_returns import _ReturnedQueries
from .rules import MODEL_QUERY, SESSION_QUERY


QUERY_METHODS = frozenset(
    {"filter", "filter_by", "get", "get_or_404", "first", "first_or_404", "all", "one", "one_or_none",
     "order_by", "count", "join", "outerjoin", "options", "limit", "offset", "paginate", "delete", "update",
     "with_entities", "distinct", "scalar", "exists", "group_by", "having", "slice", "from_self",
     "yield_per", "execution_options", "with_for_update", "subquery", "cte", "statement", "one_or_404"}
)


class QueryRecogniser(_FlaskQueries, _ReturnedQueries, Recogniser):
    rules = {r.code: r for r in (SESSION_QUERY, MODEL_QUERY)}

    def __init__(self, context) -> None:
        super().__init__(context)
        self._flows: FlowAnalysis | None = None
        self._custom_query: str | None = None
        self._scanner: ModuleScanner | None = None
        self._helpers: query_returns.QueryHelpers | None = None
        self._flask: FlaskModels | None = None
        self._model_dbs: dict[int, FlaskDb | str] = {}
        self._helper_calls: dict[int, tuple[str, str] | None] = {}

    @property
    def flows(self) -> FlowAnalysis:
        if self._flows is None:
            evidence = self.evidence
            planner = Planner(partial(query_params.bound_value, evidence), _code, self._flask_problem,
                              self._joined_class)
            self._flows = FlowAnalysis(evidence.parents, evidence.source_index, evidence.scopes, evidence.session,
                                       planner, self.context.target, _code, partial(await_problem, self.context),
                                       self._passes, self._returns, self._origin_of)
        return self._flows

    # -- queries handed to functions (params.py) ----------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        found = query_params.candidate(self.evidence, node, self.context.config.session_names)
        if found is None:
            return
        param = query_params.query_param(self.evidence, node)
        described = f"legacy Query API: `{node.name.value}()` receives a Query object in `{param.name.value}`"
        custom = self._custom_query_class()
        conversion = Unsupported(custom) if custom else found
        if isinstance(conversion, query_params.Candidate):
            function = (str(self.context.path), qualname_of(node, self.evidence.parents))
            problem = self._approval_problem(function)
            conversion = Unsupported(problem) if problem else self.flows.parameter(found)
            if not isinstance(conversion, Unsupported) and function not in self.context.coloring.queries.approved:
                conversion = Unsupported("sqlasync cannot see every call of it")
        if isinstance(conversion, Unsupported):
            self.report("Q101", param, described, reason=conversion.reason)
        else:
            self._fixed("Q101", param, described, conversion)

    def _approval_problem(self, function) -> str | None:
        """Why the repository does not let `function` receive the session with its query (None: it does)."""
        coloring = self.context.coloring
        queries = getattr(coloring, "queries", None)
        if queries is None:
            return ("sqlasync needs the repository index (family F) to see every call of a function that receives a "
                    "Query")
        if function not in queries.approved:
            # Not even a candidate for the scan: the function's own flow says why (see `parameter`).
            return queries.reasons.get(function)
        if self.context.target == "async" and not coloring.async_after(function):
            return f"`{function[1]}` cannot become async: {coloring.reason(function) or 'see its F107 finding'}"
        return None

    def _passes(self, use: Use) -> str | None:
        coloring = self.context.coloring
        queries = getattr(coloring, "queries", None)
        if queries is None:
            return passed_to(use.call)
        path = str(self.context.path)
        summary = coloring.index.files.get(path)
        if summary is None:
            return passed_to(use.call)
        callee = coloring.resolve_call(self._module_scanner().call_site(use.call), path)
        if callee not in queries.approved or self._approval_problem(callee):
            return passed_to(use.call)
        param, position = queries.approved[callee]
        argument = self.evidence.parent(use.node)
        positional = [arg for arg in use.call.args if arg.keyword is None]
        slot = argument.keyword.value if argument.keyword is not None else positional.index(argument)
        return None if slot in (param, position) else passed_to(use.call)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if self.context.target == "sync" and self._flask_helper(node) is not None:
            self._finishing_returned(node)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" \
                and not node.args and getattr(self.context.coloring, "returned", None) is not None:
            self._finishing(node)
        if not (isinstance(func, cst.Attribute) and func.attr.value == "query"):
            return
        evidence = self.evidence.session(func.value)
        if evidence is None:
            return
        outer = self._outer(node)
        described = f"legacy Query API `{_describe(func.value, node, outer)}` ({evidence.describe()})"
        self._convert("Q101", node, outer, described)

    def _convert(self, code: str, node: cst.Call, outer: cst.CSTNode, described: str) -> None:
        """Report the site `outer` as fixed with the flow analysis' conversion of `node`, or left with its reason
        (always left in a module whose models use a custom Query class)."""
        custom = self._custom_query_class()
        conversion = Unsupported(custom) if custom else self.flows.convert(node)
        if isinstance(conversion, Unsupported):
            self.report(code, outer, described, reason=conversion.reason)
        else:
            self._fixed(code, outer, described, conversion)

    def _custom_query_class(self) -> str | None:
        """A Query subclass defined or installed (`query_cls=`) in this file may change what any chain does."""
        if self._custom_query is None:
            self._custom_query = returns_repository.custom_query_class(self.evidence, self.context.module) or ""
        return self._custom_query or None

    def _outer(self, query_call: cst.BaseExpression) -> cst.BaseExpression:
        """The outermost node of the method chain that starts at `query_call`."""
        current: cst.BaseExpression = query_call
        while True:
            parent = self.evidence.parent(current)
            if not (isinstance(parent, cst.Attribute) and parent.value is current):
                return current
            grandparent = self.evidence.parent(parent)
            current = grandparent if isinstance(grandparent, cst.Call) and grandparent.func is parent else parent

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "query" or not self._model_like(node.value):
            return
        parent = self.evidence.parent(node)
        chained = isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in QUERY_METHODS
        model = cst.Module([]).code_for_node(node.value)
        if self.context.target == "async":
            if chained and not self._declares_query_column(model):
                self.report("Q102", node, f"`{model}.query` uses the Flask-SQLAlchemy query property",
                            reason=FLASK_SQLALCHEMY_SESSION)
            return
        if self._declares_query_column(model):
            return
        db = self._model_db(node.value)
        if isinstance(db, str):
            # `cls` counts only as a model the index shows: any class method may read a `query` of its own.
            if chained and _looks_like_model(node.value):
                self.report("Q102", node, f"`{model}.query` uses the Flask-SQLAlchemy query property", reason=db)
            return
        if isinstance(read_chain(node, self.evidence.parents), Unsupported) and not chained:
            return  # `Model.query` is not used as a query here (compared, printed): nothing to convert
        outer = self._outer(node)
        described = f"`{model}.query` uses the Flask-SQLAlchemy query property (runs on `{db.name}.session`)"
        self._convert("Q102", node, outer, described)

    def _model_like(self, node: cst.BaseExpression) -> bool:
        """A capitalised class name (`Author`, `models.Author`), or, under `--target sync`, where the repository
        index tells whether the class is a Flask-SQLAlchemy model, `cls` in a classmethod (`cls.query...`)."""
        return _looks_like_model(node) or (self.context.target == "sync" and isinstance(node, cst.Name)
                                           and node.value == "cls")

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
