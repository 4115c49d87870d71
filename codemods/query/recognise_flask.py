"""Flask-SQLAlchemy queries: `Model.query`, the extension's session, and the helpers that return a query
    (QueryRecogniser)."""

from __future__ import annotations

import libcst as cst

from . import returns as query_returns, returns_repository
from ..core.nodes import dotted_name
from ..core.receivers import FLASK_SQLALCHEMY_SESSION
from ..index.scan import ModuleScanner
from .chain import Origin
from .flask_models import FlaskDb, FlaskModels, sqlalchemy_problem, terminal_problem
from .related_classes import RelatedClasses
from .sessions_whole import whole_sessions


class _FlaskQueries:
    """Flask-SQLAlchemy queries: `Model.query`, the extension's session, and the helpers that return a query
    (QueryRecogniser)."""

    # -- Flask-SQLAlchemy (flask_models.py) ----------------------------------------------------------
    @property
    def flask(self) -> FlaskModels:
        if self._flask is None:
            index = getattr(self.context.coloring, "index", None)
            self._flask = FlaskModels(self.evidence, str(self.context.path), index, self._module_scanner)
        return self._flask

    def _joined_class(self, target: cst.BaseExpression) -> cst.BaseExpression | str | None:
        """The class a join along a relationship reaches, through the repository index (related_classes.py).
        Under `--target sync` only: the async target's coloring is seeded by each file's prediction, which runs
        before the index exists, so a query converted only with the index would never get its `async def`."""
        index = getattr(self.context.coloring, "index", None) if self.context.target == "sync" else None
        return RelatedClasses(index, str(self.context.path), self._module_scanner, self.evidence).joined_class(target)

    def _model_db(self, model: cst.BaseExpression) -> FlaskDb | str:
        """The extension of the Flask-SQLAlchemy model `model` as this module reaches it, or why there is none."""
        key = id(model)
        if key not in self._model_dbs:
            found = self.flask.model_db(model)
            if isinstance(found, FlaskDb) and not self._reaches(found, model):
                found = (f"`{found.name}` does not mean the Flask-SQLAlchemy extension everywhere in this module, so "
                         f"`{found.name}.session` cannot be written here")
            self._model_dbs[key] = found
        return self._model_dbs[key]

    def _reaches(self, db: FlaskDb, site: cst.CSTNode) -> bool:
        """Does `db.name` mean the module-level binding at `site` (or, when it is to be imported, nothing yet)?"""
        scope = self.evidence.scopes.get(site)
        if scope is None:
            return False
        assignments = list(scope[db.name]) if db.name in scope else []
        if db.home is not None:
            # The import goes at module level: nothing there nor around the site may bind the name already.
            return not assignments and db.name not in scope.globals
        return bool(assignments) and all(a.scope is scope.globals for a in assignments)

    def _origin_of(self, head: cst.BaseExpression) -> Origin | None:
        """Under `--target sync`, `Model.query` of a Flask-SQLAlchemy model and `db.session.query(...)` start
        Flask-SQLAlchemy's own Query; anything else (and the async target, which leaves both): read_chain's
        default."""
        if self.context.target != "sync":
            return None
        if isinstance(head, cst.Call) and not (isinstance(head.func, cst.Attribute)
                                               and head.func.attr.value == "query"):
            return self._returned_origin(head)
        if isinstance(head, cst.Attribute) and head.attr.value == "query":
            if not self._model_like(head.value):
                return None
            db = self._model_db(head.value)
            if isinstance(db, str):
                return None
            session = cst.Attribute(cst.Name(db.name), cst.Name("session"))
            return Origin(session, (cst.Arg(head.value),), db)
        if isinstance(head, cst.Call) and isinstance(head.func, cst.Attribute) and head.func.attr.value == "query":
            session = head.func.value
            evidence = self.evidence.session(session)
            if evidence is not None and evidence.stays_sync == FLASK_SQLALCHEMY_SESSION \
                    and isinstance(session, cst.Attribute) and dotted_name(session.value) is not None:
                # `db.session`, `database.session` (an alias) or `models.db.session`: the extension as spelled here
                return Origin(session, tuple(head.args), FlaskDb(dotted_name(session.value)))
        return None

    def _returned_origin(self, call: cst.Call) -> Origin | None:
        """A call of a function that returns its Flask-SQLAlchemy query as a `select()` for this caller to run on
        the extension's session (query_returns.approve_flask)."""
        helper = self._flask_helper(call)
        if helper is None:
            return None
        db = self.flask._spelling(self.context.coloring.returned.flask[helper])
        if not self._reaches(db, call):
            return None  # approve_flask saw the spelling; the rewrite cannot differ from it unnoticed (see visit_Call)
        return returns_repository.returned_origin(db, cst.Attribute(cst.Name(db.name), cst.Name("session")),
                                             helper in self.context.coloring.returned.repeating)

    def _flask_helper(self, call: cst.Call) -> tuple[str, str] | None:
        """The approved function returning a Flask-SQLAlchemy query that `call` calls, if any."""
        returned = getattr(self.context.coloring, "returned", None)
        if not isinstance(call.func, (cst.Name, cst.Attribute)) or returned is None or not returned.flask:
            return None
        key = id(call)
        if key not in self._helper_calls:
            index = self.context.coloring.index
            path = str(self.context.path)
            entity = index.resolve(self._module_scanner().expr(call.func), path) if path in index.files else None
            found = (entity[1], entity[2]) if entity is not None and entity[0] == "function" else None
            self._helper_calls[key] = found if found in returned.flask else None
        return self._helper_calls[key]

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.target == "async":
            self.matches[:] = whole_sessions(self.matches, self.evidence)

    def _fixed(self, code: str, node: cst.CSTNode, described: str, conversion) -> None:
        """Report a conversion, unless the project's SQLAlchemy cannot run what `--target sync` writes."""
        problem = sqlalchemy_problem(self.context.config.root) if self.context.target == "sync" else None
        if problem:
            self.report(code, node, described, reason=problem)
        else:
            self.report(code, node, described, fixable=True, data=conversion)

    def _flask_problem(self, terminal: str) -> str | None:
        return terminal_problem(self.context.config.root, terminal)

    def _module_scanner(self) -> ModuleScanner:
        if self._scanner is None:
            path = str(self.context.path)
            location = self.context.coloring.index.files[path].location
            self._scanner = ModuleScanner(path, location.module, location.package, self.evidence)
            self._scanner.prepare()
        return self._scanner

    @property
    def helpers(self) -> query_returns.QueryHelpers:
        if self._helpers is None:
            self._helpers = query_returns.QueryHelpers(self.evidence, self.flows)
        return self._helpers
