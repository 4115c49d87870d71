"""Q: the legacy 1.x Query API (`session.query(...)...`, `Model.query...`)."""

from __future__ import annotations

from functools import partial

import libcst as cst

from . import params as query_params, returns as query_returns
from ..core.await_sites import await_problem
from ..core.functions import qualname_of
from ..index.scan import ModuleScanner
from ..core.nodes import dotted_name
from ..core.receivers import FLASK_SQLALCHEMY_SESSION
from ..core.family import Family, Recogniser
from .flask_models import FlaskDb, FlaskModels, sqlalchemy_problem, terminal_problem
from .chain import RETURNED, Origin, Unsupported, Use, passed_to, read_chain
from .flow import FlowAnalysis
from .plan import Planner
from .rewrite import rewrite
from .sessions_whole import whole_sessions
from .related_classes import RelatedClasses
from ..core.rule import Rule

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
        "`filter_by` searches every FROM entity); under `--target sync` a join along a relationship "
        "(`join(Book.author)`) binds to the class the repository's models say it leads to (`relationship(\"Author\")`, "
        "`relationship(Author)`, `Mapped[\"Author\"]`, `Mapped[list[\"Book\"]]`, `backref=\"...\"` on the other "
        "class), written as the module names it, with_entities -> with_only_columns, populate_existing() -> "
        "execution_options(populate_existing=True). `.unique()` goes before the terminal wherever the legacy "
        "Query de-duplicated ORM entities and duplicates are possible (joins, joined eager loads, columns of "
        "other classes in the criteria).\n"
        "A query kept in a local variable (`q = db.query(X)`, `if f: q = q.filter(...)`, `return q.all()`) is "
        "converted when every binding and every use is in that function.\n"
        "A module-level function whose parameter is annotated `Query` (`def paginate(query: Query, page, size)`) "
        "is converted together with every call of it: it receives the session first, the parameter becomes a "
        "`Select` and its uses run on that session (`count()` through a subquery, `query.offset(...).limit(...)"
        ".all()` -> `(await db.scalars(...)).all()`), and each call passes the session of the query it hands over "
        "(`await paginate(db, select(Job).order_by(...), 1, 20)`, or the variable holding it). Only when the "
        "repository index (family F) shows every call: each passes, at that parameter, a `session.query(...)` chain "
        "or a variable holding one, of exactly one mapped class without joins that could repeat it; the function is "
        "not used as a value, can become async, and does not use steps that name the entity (`filter_by()`, joins, "
        "`with_entities()`) or hand the query on. Otherwise the parameter's finding says which call prevents it.\n"
        "A method that returns `self.<attr>.query(...)` (in a variable or not) for the other methods of its class "
        "to finish (`def _jobs(self): ... return query`, `self._jobs().count()`) returns the `Select` instead and "
        "stays sync; each `self._jobs()...<terminal>` runs it on that session (`await self.db.scalar(select("
        "func.count()).select_from(self._jobs().subquery()))`). Only when the index shows every call: all are "
        "`self.<method>()` in its module ending in a terminal converted here, the method takes no other parameters, "
        "is not used as a value nor overridden, and every calling function can become async.\n"
        "On Flask-SQLAlchemy's `db.session` under `--target sync`, the extension's terminals (`get_or_404()`, "
        "`first_or_404()`, `one_or_404()`, `paginate()`) convert too, as Q102 describes.\n"
        "Left alone, with the reason: other queries returned from functions or passed to other functions, "
        "`from_self()`, "
        "`yield_per()`, set operations, methods of "
        "Query subclasses, 1.x `join()` forms, `filter_by()` whose entity is not named in the source (after a "
        "join along a relationship: whose class the index does not show, or this module has no name for), and "
        "entities sqlasync cannot tell a mapped class from a column by: a name bound to nothing it can read, or "
        "the result of a function of the project or of a library (a class gives objects, a column rows; "
        "`aliased()`, `with_polymorphic()` and mappers (`get_mapper()`, `class_mapper()`) give objects, "
        "`func.*`, `cast()`, `case()`, `literal()` and the like give rows).\n"
        "Known differences: a slice whose bounds are variables that turn out negative or reversed at run time "
        "(the legacy Query raised IndexError or returned []); `.unique()` on rows holding unhashable values "
        "(JSON) raises where the legacy Query fell back to identity. Under the async target a function's session "
        "is converted whole: when one query on a session name is left, the function's other queries on it are "
        "left too (that session stays a sync `Session` there, S102), rather than awaited on a session nobody "
        "converts."
    ),
)
MODEL_QUERY = Rule(
    code="Q102",
    name="model-query-property",
    family="query",
    summary="`Model.query...` (Flask-SQLAlchemy query property)",
    why=(
        "`Model.query` hides which session runs the statement: Flask-SQLAlchemy's thread-local scoped "
        "`db.session`, which has no AsyncSession. Under the async target the site stays (the app first needs an "
        "async framework and an `AsyncSession` passed explicitly). Under `--target sync` the app has an obvious "
        "target, its own `db.session`: the chain becomes the 2.0-style `select()` Flask-SQLAlchemy 3 documents, "
        "with the same semantics guarantees as Q101."
    ),
    before=(
        "from flask_sqlalchemy import SQLAlchemy\n"
        "\n"
        "db = SQLAlchemy()\n"
        "\n"
        "\n"
        "class User(db.Model):\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "    name = db.Column(db.String(50))\n"
        "\n"
        "\n"
        "def find(name):\n"
        "    return User.query.filter_by(name=name).first()\n"
    ),
    after=(
        "from flask_sqlalchemy import SQLAlchemy\n"
        "\n"
        "db = SQLAlchemy()\n"
        "\n"
        "\n"
        "class User(db.Model):\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "    name = db.Column(db.String(50))\n"
        "\n"
        "\n"
        "def find(name):\n"
        "    return db.session.scalars(db.select(User).where(User.name == name).limit(1)).first()\n"
    ),
    fixable=True,
    example_target="sync",
    fix_notes=(
        "`--target sync` only. A model is a class whose bases (through the repository's classes) include "
        "`<db>.Model`, where `<db>` is bound to `flask_sqlalchemy.SQLAlchemy(...)` or to an instance of a subclass "
        "of it, in this module or in another one the repository index (family F) follows through imports and "
        "re-exports (`cls` in a classmethod of such a model counts too: `cls.query` -> `db.select(cls)`). "
        "`Model.query` is then one more start of a Q101 query, run by `db.session`: every terminal, "
        "step and flow of Q101 applies (`Model.query` kept in a variable and extended across branches, `count()` "
        "through a subquery, `get(pk)` -> `db.session.get(Model, pk)`). `select` and `func` are spelled as the "
        "module already imports them, else `db.select` / `db.func`; a module that names no `db` (views importing "
        "only the models) gets `from <module of db> import db`.\n"
        "Flask-SQLAlchemy's own terminals, on `Model.query` and on `db.session.query(...)` (Q101) alike:\n"
        "  get_or_404(pk)      db.get_or_404(Model, pk)\n"
        "  first_or_404()      db.first_or_404(stmt.limit(1))\n"
        "  one_or_404()        db.one_or_404(stmt)\n"
        "  paginate(page=...)  db.paginate(stmt, page=...)  (2.x positional arguments become keywords)\n"
        "only when the query selects one mapped class (the extension's methods return the first column of each "
        "row); first_or_404/one_or_404 also only when no join can repeat an entity (they do not de-duplicate).\n"
        "Versions come from the project's pins (requirements*.txt, requirements/*.txt, pyproject.toml, setup.cfg, "
        "setup.py; exact versions from poetry.lock / uv.lock): what counts is the newest version they allow. "
        "Those four methods need Flask-SQLAlchemy 3.0: under a pin below it the site stays, with the reason. "
        "Every `--target sync` query (Q101 too) needs SQLAlchemy 1.4.24 (`Session.scalars`): below it the site "
        "stays. With no pin the newest versions are assumed (Flask-SQLAlchemy 3.x, SQLAlchemy 2.x).\n"
        "A query returned for its callers to finish converts together with every caller, in any module: a sync "
        "function (module-level, a method, a classmethod or staticmethod; no other decorator) that returns "
        "`Model.query...` of one model on every path (not reshaped by `with_entities()`) returns "
        "`db.select(...)`, and each call of it runs that statement on `db.session`: "
        "`for x in Model.all(org)` -> `for x in db.session.scalars(Model.all(org))`, `.count()` through a "
        "subquery, `.first()` with `limit(1)`, `[i]` and slices with `slice()` (relative to the function's own "
        "limit, like the legacy Query), `.unique()` when the function's query joins (the legacy Query "
        "de-duplicated). Only when the repository index shows every call, each part of this migration, extending "
        "the query with steps that do not need its class and finishing it with a terminal Q101 converts (directly "
        "or through a local variable); nothing uses the function as a value or overrides it; and every module "
        "involved can name the extension. Otherwise the function and all its callers stay (never one without the "
        "other), and the function's finding names the call that keeps them: one that hands the query on, stores or "
        "returns it (a function returning another's query is not followed yet), uses `filter_by()`, `join()` or "
        "`with_entities()` on it (they need the class only the function names), runs `get()`, a bulk "
        "`update()`/`delete()` or the extension's own terminals (`paginate()`, `first_or_404()`) on it, or sits "
        "outside the migrated paths (tests left out of `--paths`). A call the index cannot resolve (a receiver of "
        "unknown type) is not seen.\n"
        "Left alone, with the reason: a class that is not a model on a Flask-SQLAlchemy `db.Model` the index shows "
        "(another library's `query` property), a model whose `db` this module cannot name (the name is taken), "
        "a query returned for callers that do not all finish it as above (the reason names the call), "
        "and every site under the async target. Without the index (`--select Q` alone) only a model defined in the "
        "file on its own `db.Model`, or a capitalised name imported beside an imported `db`, counts. Known gap: a "
        "custom `query_class` given to `SQLAlchemy(...)` in another module is not seen (its own methods are left, "
        "but an override of a standard method would be bypassed)."
    ),
)

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
            self._flows = FlowAnalysis(evidence.parents, evidence.scopes, evidence.session, planner,
                                       self.context.target, _code, partial(await_problem, self.context),
                                       self._passes, self._returns, self._origin_of)
        return self._flows

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
        return query_returns.returned_origin(db, cst.Attribute(cst.Name(db.name), cst.Name("session")),
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

    # -- queries returned to the other methods of a class (query_returns.py) -----------------------
    def _returns(self, use: Use) -> str | None:
        function = self.evidence.enclosing(use.node, cst.FunctionDef)
        if function is None:
            return RETURNED
        helper = (str(self.context.path), qualname_of(function, self.evidence.parents))
        returned = getattr(self.context.coloring, "returned", None)
        if self.context.target == "sync" and returned is not None and helper in returned.flask:
            return None  # query_returns.approve_flask: every caller runs the `select()` it returns
        problem = self._helper_problem(helper)
        if problem != RETURNED:
            return problem
        if self.context.target != "sync" and self._flask_query(use.node):
            return FLASK_SQLALCHEMY_SESSION  # what the async target says of every Flask-SQLAlchemy query
        return f"{RETURNED} ({self._returned_detail(use, function, helper)})"

    def _returned_detail(self, use: Use, function: cst.FunctionDef, helper) -> str:
        """Why a returned query that query_returns.py does not take up stays: where its callers are, and the
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

    # -- queries handed to functions (query_params.py) ----------------------------------------------
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
            self._custom_query = query_returns.custom_query_class(self.evidence, self.context.module) or ""
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
