"""Queries returned to the other methods of a class, and the calls that finish them (QueryRecogniser)."""

from __future__ import annotations

import libcst as cst

from . import returns as query_returns
from ..core.functions import qualname_of
from ..core.receivers import FLASK_SQLALCHEMY_SESSION
from .chain import RETURNED, Origin, Unsupported, Use, read_chain


class _ReturnedQueries:
    """Queries returned to the other methods of a class, and the calls that finish them (QueryRecogniser)."""

    # -- queries returned to the other methods of a class (returns.py) -----------------------
    def _returns(self, use: Use) -> str | None:
        function = self.evidence.enclosing(use.node, cst.FunctionDef)
        if function is None:
            return RETURNED
        helper = (str(self.context.path), qualname_of(function, self.evidence.parents))
        returned = getattr(self.context.coloring, "returned", None)
        if self.context.target == "sync" and returned is not None and helper in returned.flask:
            return None  # returns_repository.approve_flask: every caller runs the `select()` it returns
        problem = self._helper_problem(helper)
        if problem != RETURNED:
            return problem
        if self.context.target != "sync" and self._flask_query(use.node):
            return FLASK_SQLALCHEMY_SESSION  # what the async target says of every Flask-SQLAlchemy query
        return f"{RETURNED} ({self._returned_detail(use, function, helper)})"

    def _returned_detail(self, use: Use, function: cst.FunctionDef, helper) -> str:
        """Why a returned query that returns.py does not take up stays: where its callers are, and the
        rule they would have to meet (or that a Flask-SQLAlchemy `Model.query` is not taken up at all yet)."""
        name = function.name.value
        callers = getattr(self.context.coloring, "callers", None)
        if callers is None:
            where = "the repository index (family F) is not part of this run, so its callers are unknown"
        else:
            sites = sorted({f"{c.path}:{c.site.line}" for c in callers.get(helper, ())})
            where = (f"`{name}()` is called at {', '.join(sites[:3])}" + (f" and {len(sites) - 3} more place(s)"
                     if len(sites) > 3 else "") if sites else f"nothing in the repository calls `{name}()`")
        if self._flask_query(use.node):
            return (f"{where}; a returned Flask-SQLAlchemy query converts with its callers only when the function "
                    "(sync, no decorator but `classmethod`/`staticmethod`) returns `Model.query...` of one model on "
                    f"every path: else return `db.select(...)` from `{name}()` and run it on `db.session` where it "
                    "is called")
        return (f"{where}; only a method without parameters besides `self`, whose calls are all `self.{name}()` in "
                "its own class and run the query, returns a converted statement")

    def _flask_query(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        """Does `node` hold a query Flask-SQLAlchemy starts (`Model.query...`, `db.session.query(...)...`), written
        there or in the variable it names?"""
        if isinstance(node, cst.Name) and depth < 2:
            scope = self.evidence.scopes.get(node)
            assignments = self.evidence.bindings(scope, node.value) if scope is not None and node.value in scope \
                else []
            values = [self.evidence.bound_value(a.node) for a in assignments]
            return any(v is not None and self._flask_query(v, depth + 1) for v in values)
        while isinstance(node, (cst.Call, cst.Attribute, cst.Subscript)):
            origin = self._origin_of(node) if isinstance(node, (cst.Attribute, cst.Call)) else None
            if origin is not None:
                return origin.flask is not None
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "query":
                evidence = self.evidence.session(node.func.value)  # the async target's `db.session.query(...)`
                return evidence is not None and evidence.stays_sync == FLASK_SQLALCHEMY_SESSION
            node = node.func if isinstance(node, cst.Call) else node.value
        return False

    def _helper_problem(self, helper) -> str | None:
        """Why the repository does not let `helper` return its query for its callers to run (None: it does)."""
        coloring = self.context.coloring
        returned = getattr(coloring, "returned", None)
        if returned is None or helper not in returned.approved:
            reason = returned.reasons.get(helper) if returned is not None else None
            return f"{RETURNED} ({reason})" if reason else RETURNED
        if self.context.target == "async":
            for caller in coloring.callers.get(helper, ()):
                if not coloring.async_after(caller.function):
                    return f"{RETURNED} (`{caller.function[1]}` cannot become async)"
        return None

    def _finishing(self, node: cst.Call) -> None:
        """`self.<method>()...count()` where the method returns a query this run converts."""
        function = self.helpers.called(node)
        if function is None or self._helper_problem((str(self.context.path),
                                                     qualname_of(function, self.evidence.parents))):
            return
        conversion = self.helpers.finish(node)
        outer = self._outer(node)
        described = query_returns.describe(outer, function)
        if isinstance(conversion, Unsupported):
            self.report("Q101", outer, described, reason=conversion.reason)
        else:
            self._fixed("Q101", outer, described, conversion)

    def _finishing_returned(self, node: cst.Call) -> None:
        """A call of a function returning a Flask-SQLAlchemy query, converted with it: the caller runs the `select()`
        it returns on `db.session`. Refused here although approved, the function would return a `select()` to a
        caller still treating it as a Query: the finding says so loudly (and approve_flask should have refused)."""
        outer = self._outer(node)
        name = cst.Module([]).code_for_node(node.func)
        described = f"legacy Query API: `{name}()` returns a Flask-SQLAlchemy query that this call runs"
        origin = self._returned_origin(node)
        if origin is None:
            self.report("Q102", outer, described, reason="the extension's `db` cannot be named here, although the "
                        "function is converted: report this as a bug of sqlasync")
            return
        if self._already_run(node, origin):
            return  # what the rewrite wrote (the run's index still shows the function's legacy query)
        self._convert("Q102", node, outer, described)

    def _already_run(self, call: cst.Call, origin: Origin) -> bool:
        """Does the caller already run what `call` returns as a statement: handed to `<db>.session.scalars()` (and
        the like) or to the extension's methods, or made a subquery (a count), directly or through the variable
        that holds it?"""
        chain = read_chain(call, self.evidence.parents, origin)
        if isinstance(chain, Unsupported):
            return False
        if chain.use.kind != "assign":
            return self._run_form(chain)
        scope = self.evidence.scopes.get(call)
        if scope is None or chain.use.variable not in scope:
            return False
        reads = [access.node for assignment in scope.assignments[chain.use.variable]
                 for access in assignment.references]
        chains = [read_chain(node, self.evidence.parents, flask=True) for node in reads]
        return bool(chains) and all(not isinstance(c, Unsupported) and self._run_form(c) for c in chains)

    @staticmethod
    def _run_form(chain) -> bool:
        if chain.use.kind == "subquery":
            return not chain.steps
        call = chain.use.call
        return chain.use.kind == "pass" and isinstance(call.func, cst.Attribute) and call.func.attr.value in (
            "scalars", "scalar", "execute", "paginate", "first_or_404", "one_or_404")
