"""What one module says about async coloring: its functions, classes, module-level names and call sites.

The facts are plain tuples and dataclasses so that they can be cached, pickled to worker processes
and resolved against every other module of the repository (`repo_index.py`). Expressions whose
meaning depends on other modules are kept symbolic (`Expr`): `("name", "app.services.jobs.get_job")`,
`("attr", ("self", path, "TaskService"), "tasks")`, `("call", ...)` and so on; `repo_index` resolves
them once every module is known. The same scan runs when the index is built and when the F
recogniser looks at a file, so both see the same call sites.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst
from libcst.helpers import get_absolute_module_for_import
from libcst.metadata import (
    Assignment,
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    Scope,
)

from .registration import QUERY_PARAMS as query_params, QUERY_RETURNS as query_returns
from ..core.functions import own_nodes as _own_nodes, qualname_of
from ..core.drained_generators import drained_at_once
from ..core.evidence import ReceiverEvidence, dotted_name, is_alembic_revision, metadata_value, string_value
from ..core.orm_statements import REFINING, is_select, loaded_by, loader_targets

# Expressions resolved later against the whole repository. Each is a tuple headed by its kind:
#   ("name", fqn)                  a dotted name in some module ("app.services.jobs.get_job")
#   ("def", path, qualname)        a function defined in file `path` (nested functions included)
#   ("call", expr)                 what calling expr returns
#   ("attr", expr, name)           attribute of expr's value
#   ("inst", expr)                 an instance of the class expr names (from an annotation)
#   ("list", expr)                 a collection of expr's values (list[X], a relationship collection)
#   ("elem", expr)                 one element of a collection; ("elem", expr, i) the one at index i
#   ("tuple", (expr, ...))         a tuple of values of different kinds (`tuple[Repo, User]`), by position
#   ("map", expr)                  a mapping whose values are expr's (`dict[str, type[Migrator]]`)
#   ("self", path, class)          the instance a method runs on; ("cls", ...) the class itself
#   ("super", path, class)         super() inside that class
#   ("either", a, b)               `a or b`, `a if c else b`
#   ("fixture", name, path)        the value of a pytest fixture as seen from file `path`
Expr = tuple

DUNDERS_ALLOWED_ASYNC = frozenset({"__aenter__", "__aexit__", "__anext__", "__aiter__"})
# What `with x:` calls on x, and what `async with x:` calls instead: a class whose `__exit__` must await becomes an
# async context manager when every `with` on its instances can become `async with` (see the solver).
CONTEXT_METHODS = {"__enter__": "__aenter__", "__exit__": "__aexit__"}
ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route",
                           "websocket", "route"})
HANDLER_DECORATORS = frozenset({"exception_handler", "middleware", "on_event"})
ROUTE_OWNERS = frozenset({"fastapi.APIRouter", "fastapi.FastAPI", "fastapi.routing.APIRouter",
                          "fastapi.applications.FastAPI", "starlette.applications.Starlette",
                          "starlette.routing.Router"})
PROPERTY_DECORATORS = frozenset({"property", "functools.cached_property", "cached_property"})
CACHE_DECORATORS = frozenset({"functools.lru_cache", "functools.cache", "lru_cache", "cache"})
HARMLESS_DECORATORS = frozenset({"staticmethod", "classmethod", "abc.abstractmethod", "abstractmethod",
                                 "typing.overload", "overload", "typing.override", "override",
                                 "typing_extensions.override"})
FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
CONTEXT_MANAGER_DECORATORS = frozenset({"contextlib.contextmanager", "contextmanager"})
CELERY_DECORATORS = frozenset({"shared_task", "celery.shared_task", "task", "periodic_task"})
ORM_EVENT_DECORATORS = frozenset({"sqlalchemy.event.listens_for", "sqlalchemy.event.api.listens_for"})
# Class-based views whose HTTP methods Flask (or Flask-RESTful / Flask-RESTX) calls synchronously.
FLASK_VIEW_CLASSES = frozenset({"flask_restful.Resource", "flask_restx.Resource", "flask.views.MethodView",
                                "flask.views.View"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "dispatch_request"})
DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security"})
ROUTE_REGISTRATIONS = frozenset({"add_api_route", "add_route", "add_api_websocket_route", "add_websocket_route",
                                 "add_exception_handler", "add_event_handler"})
ROUTE_CLASSES = frozenset({"starlette.routing.Route", "starlette.routing.WebSocketRoute", "fastapi.routing.APIRoute"})
MAPPING_TYPES = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict",
                           "OrderedDict"})
COLLECTION_TYPES = frozenset({"list", "List", "Sequence", "Iterable", "Iterator", "set", "Set", "frozenset",
                              "Collection", "tuple", "Tuple", "Generator", "AsyncIterator", "AsyncGenerator"})
TYPE_WRAPPERS = frozenset({"Optional", "Annotated", "Union", "Mapped", "Final", "ClassVar"})
STANDARD_GENERICS = ("builtins.", "typing.", "typing_extensions.", "collections.", "types.")
# Library functions whose result is one value of the collection they are given.
PICKS_AN_ELEMENT = frozenset(("name", name) for name in ("random.choice", "secrets.choice"))
TYPEVARS = (("call", ("name", "typing.TypeVar")), ("call", ("name", "typing_extensions.TypeVar")))
# A name bound more often than this is not worth typing.
MAX_ALTERNATIVES = 4


@dataclass(frozen=True)
class CallSite:
    """One call in the module, and where it sits."""

    callee: Expr | None
    line: int
    owner: str | None          # qualname of the function whose body runs the call (None: none does)
    context: str               # "body", "main" (`if __name__ == "__main__":`), or why `await` cannot go there
    awaited: bool = False
    iterated: bool = False     # the iterable of a `for` loop or comprehension
    entered: bool = False      # the context manager of a `with` statement (`with f() as x:`)
    session_first: bool = False  # the first positional argument is a database session
    passes_session: bool = False
    method: str | None = None  # `x.method(...)`: the method name, for calls whose receiver is unknown
    # The result is used on the spot (`f().x`, `f()[0]`, `f() + 1`, `if f():`): for a coroutine, always a bug.
    used: bool = False
    # Arguments that are legacy queries (`session.query(...)` chains or variables holding one), by position or
    # keyword, with their shape (query_params.passed_shape).
    query_args: tuple[tuple[str, str], ...] = ()
    # `self.<method>()...<terminal>` finishes the legacy query a method of this class returns (query_returns.py).
    finishes: bool = False
    # The result is bound to one local name (`publisher = make_publisher(bus)`), nothing else.
    bound: bool = False
    # The whole body of a lambda handed to a call (`safe_try(lambda: fix(db))`): the lambda returns the coroutine
    # to whoever calls it, like the function handed itself (its value use, ModuleScanner.thunk_use, decides).
    thunk: bool = False
    # What each argument that is a database session is (index.session_side tells whether it stays sync).
    session_args: tuple[Expr, ...] = ()
    # If the function called returns a Flask-SQLAlchemy query (query_returns.flask_helper): when the caller runs it
    # by steps and terminals Q102 converts, the names bound around the call and the classes of the `Model.query` it
    # shares a variable with; else why not (None: not used as a query).
    returned_use: tuple[tuple[str, ...], tuple[Expr | None, ...]] | str | None = None


@dataclass(frozen=True)
class ValueUse:
    """A name used as a value (not called): `Depends(get_db)`, `add_task(fn, ...)`, `key=fn`."""

    target: Expr
    line: int
    owner: str | None
    consumer: str              # "depends", "background", "route", "fixture-value", or "unknown"
    detail: str = ""
    keyword: str | None = None  # passed as `keyword=name`: where the consumer may keep it (`Alias(func=f)`)
    # Passed to a call: its callee, and the keyword or the position it is passed at (coloring_callables.py).
    callee: Expr | None = None
    slot: str | None = None
    # A lambda handing on a call (ModuleScanner.thunk_use): the sessions that call passes, which the bridge can
    # hand a function that stays sync (`lambda: call_legacy(session, fix)`).
    session_args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class AttributeRead:
    """`obj.name` read, written or looked up by name (`getattr(obj, "name")`), for @property getters that may
    become async methods (coloring_properties.py). Calls `obj.name(...)` are call sites, not reads."""

    name: str
    receiver: Expr | None
    line: int
    owner: str | None
    context: str               # as CallSite.context
    kind: str                  # "load", "store", "delete" or "by-name"


@dataclass(frozen=True)
class FunctionFacts:
    qualname: str
    name: str
    line: int
    is_async: bool
    is_generator: bool
    class_qualname: str | None
    blocker: str | None        # why this function may never become async, if something local says so
    # "route", "handler", "test", "fixture", "contextmanager", "context-method" (`__enter__`/`__exit__`)
    role: str | None
    params: tuple[tuple[str, Expr | None], ...]
    returns: Expr | None
    value: Expr | None = None  # a fixture's or a generator context manager's value (what it returns or yields)
    fixture_name: str | None = None
    # A fixture's `scope=` as written ("session", "module", ...); None: function scope.
    fixture_scope: str | None = None
    decorators: tuple[str, ...] = ()
    # Relationships its statements load eagerly (`selectinload(Job.clips)` -> "clips").
    eager_loads: frozenset[str] = frozenset()
    # Its blocker is a decorator that wraps a sync callable (Click, Celery, a rate limiter): it can keep its sync
    # signature for the decorator and run its body as an async twin (F112).
    sync_entry: bool = False
    # A parameter is a database session: code that calls it hands it one.
    takes_session: bool = False


@dataclass(frozen=True)
class Relationship:
    target: Expr | None        # the related class
    collection: bool
    eager: bool                # loaded with its parent (lazy="selectin"/"joined"/...), never lazily
    # `backref="author"`: the attribute the relationship adds to the related class, leading back here.
    backref: str | None = None


@dataclass(frozen=True)
class ClassFacts:
    qualname: str
    line: int
    bases: tuple[Expr | None, ...]
    base_names: tuple[str, ...]
    methods: dict[str, str]
    attributes: dict[str, Expr]
    relationships: dict[str, Relationship]
    has_table: bool
    # Type arguments of each base (`BaseRepository[Task]` -> (Task,)), aligned with `bases`.
    base_arguments: tuple[tuple[Expr | None, ...], ...] = ()
    # Annotated names without a default (`x: int`, `x: int = Field(gt=0)`): the fields a pydantic model requires,
    # read under their own name (one with an alias is left out: it would be read under the alias).
    required: tuple[str, ...] = ()


@dataclass
class ModuleFacts:
    path: str
    module: str
    package: str
    names: dict[str, Expr] = field(default_factory=dict)
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    calls: list[CallSite] = field(default_factory=list)
    values: list[ValueUse] = field(default_factory=list)
    reads: list[AttributeRead] = field(default_factory=list)
    # Functions that may receive the session with the Query they take (query_params.py): parameter, position.
    query_functions: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Methods that return a legacy query for the other methods of their class to finish (query_returns.py).
    query_helpers: list[str] = field(default_factory=list)
    # Functions that return `Model.query...` of one Flask-SQLAlchemy model (if the index shows the class is one) on
    # every path, for any caller to finish (query_returns.approve_flask): the class, whether its rows may repeat it,
    # and the names bound around it.
    flask_helpers: dict[str, tuple[Expr | None, bool, tuple[str, ...]]] = field(default_factory=dict)
    is_test_module: bool = False
    is_conftest: bool = False
    # F110 (coloring_loop_driver.py): fixtures that drive an event loop, and the callables functions receive.
    loop_drivers: dict[str, str] = field(default_factory=dict)
    callable_params: dict[str, dict[str, tuple | None]] = field(default_factory=dict)
    # Modules whose public names this one re-exports with `from module import *`.
    star_imports: list[str] = field(default_factory=list)
    # Parameters a function only calls or hands on (coloring_callables.py): qualname -> CallableParams.
    callable_slots: dict[str, tuple] = field(default_factory=dict)
    # Module-level TypeVars declared with a bound (`Model = TypeVar("Model", bound=Base)`): name -> the bound.
    typevar_bounds: dict[str, Expr] = field(default_factory=dict)


@dataclass
class _LocalInProgress:
    """A local name whose value is being worked out (ModuleScanner._local)."""

    key: tuple[int, str]
    binding: int = 0           # the binding being worked out
    read: Expr | None = None   # what reading the name inside it gives at this stage
    # The reads of the name itself (by id) met while working out a binding, and that binding.
    reads_itself: dict[int, int] = field(default_factory=dict)
    provisional: bool = False  # it read another name still being worked out


@dataclass(frozen=True)
class _LocalValue:
    everywhere: Expr | None
    # What the reads a binding's value is worked out from see (by id): the name without that binding.
    within: Mapping[int, Expr | None] = field(default_factory=dict)


def is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


class ModuleScanner:
    """Builds `ModuleFacts` from a module whose scope/parent metadata is already resolved."""

    def __init__(self, path: str, module_name: str, package: str, evidence: ReceiverEvidence) -> None:
        self.path = path
        self.module_name = module_name
        self.package = package
        self.evidence = evidence
        self.parents = evidence.parents
        self.scopes = evidence.scopes
        self.module = evidence.module
        self._lines: dict[int, int] = {}
        self._in_progress: set[int] = set()
        # Values of local names (see _local), and the names being worked out, innermost last.
        self._locals: dict[tuple[int, str], _LocalValue] = {}
        self._locals_in_progress: list[_LocalInProgress] = []
        self._roles: dict[int, str | None] = {}
        self._query_flows = None
        self._flask: bool | None = None
        self._query_helpers: query_returns.QueryHelpers | None = None
        self.facts = ModuleFacts(path, module_name, package, is_test_module=is_test_file(path),
                                 is_conftest=path.rsplit("/", 1)[-1] == "conftest.py")

    # -- entry point ------------------------------------------------------------------------------
    def scan(self, line_of=None) -> ModuleFacts:
        self.prepare(line_of)
        for node in self.parents:
            if isinstance(node, cst.FunctionDef):
                facts = self.function_facts(node)
                self.facts.functions[facts.qualname] = facts
                received = self.receives_query(node)
                if received is not None:
                    self.facts.query_functions[facts.qualname] = received
                if isinstance(self.query_helpers.helper(node), query_returns.Helper):
                    self.facts.query_helpers.append(facts.qualname)
                found = query_returns.flask_helper(self.evidence, node, facts.decorators, facts.is_generator)
                if found is not None:
                    model, repeats = found
                    self.facts.flask_helpers[facts.qualname] = (self.expr(model), repeats,
                                                                query_returns.local_names(self.evidence, model))
            elif isinstance(node, cst.ClassDef):
                facts = self._class(node)
                self.facts.classes[facts.qualname] = facts
            elif isinstance(node, cst.Call):
                self.facts.calls.append(self.call_site(node))
                read = self.read_by_name(node)
                if read is not None:
                    self.facts.reads.append(read)
            elif isinstance(node, cst.WithItem):
                self.facts.calls.extend(self.entry_sites(node))
            elif isinstance(node, cst.Lambda):
                use = self.thunk_use(node)
                if use is not None:
                    self.facts.values.append(use)
            elif isinstance(node, (cst.Name, cst.Attribute)):
                use = self.value_use(node)
                if use is not None:
                    self.facts.values.append(use)
                read = self.attribute_read(node) if isinstance(node, cst.Attribute) else None
                if read is not None:
                    self.facts.reads.append(read)
        return self.facts

    def prepare(self, line_of=None) -> None:
        """Collect the module-level names every other question depends on (`scan` does it first)."""
        self.line_of = line_of or (lambda node: 0)
        self._collect_module_names(self.module.body)
        # pytest collects test_* functions from test_*.py files; a module that imports pytest is one too.
        self.facts.is_test_module = self.facts.is_test_module or any(
            binding == ("name", "pytest") or (binding and binding[0] == "name" and binding[1].startswith("pytest."))
            for binding in self.facts.names.values())
        self._locals.clear()  # worked out while the module's names were incomplete

    # -- module-level names -----------------------------------------------------------------------
    def _collect_module_names(self, body) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._locals.clear()  # what a local name is worked out to may read the names collected so far
                    self._module_binding(small)
            elif isinstance(statement, cst.FunctionDef):
                self.facts.names[statement.name.value] = ("def", self.path, statement.name.value)
            elif isinstance(statement, cst.ClassDef):
                self.facts.names[statement.name.value] = ("class", self.path, statement.name.value)
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):
                self._collect_module_names(statement.body.body)
                for extra in _other_blocks(statement):
                    self._collect_module_names(extra)

    def _imported(self, statement: cst.Import | cst.ImportFrom, name: str) -> Expr | None:
        """What `name`, bound by an import statement inside a function, stands for."""
        saved = self.facts.names
        self.facts.names = {}
        try:
            self._module_binding(statement)
            return self.facts.names.get(name)
        finally:
            self.facts.names = saved

    def _module_binding(self, small: cst.BaseSmallStatement) -> None:
        names = self.facts.names
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None:
                    names[_as_name(alias)] = ("name", full)
                else:
                    head = full.split(".")[0]
                    names[head] = ("name", head)
        elif isinstance(small, cst.ImportFrom):
            try:
                base = get_absolute_module_for_import(self.module_name if self.package != self.module_name
                                                      else f"{self.module_name}.__init__", small)
            except Exception:  # noqa: BLE001 - a relative import beyond the top package: leave it unknown
                base = None
            if base is None:
                return
            if isinstance(small.names, cst.ImportStar):
                self.facts.star_imports.append(base)  # (`from .views import *` in a package's __init__.py)
                return
            for alias in small.names:
                imported = dotted_name(alias.name) or ""
                names[_as_name(alias) or imported] = ("name", f"{base}.{imported}")
        elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            name = small.targets[0].target.value
            names[name] = self.expr(small.value) if name not in names else None
            bound = self._typevar_bound(small.value) if names[name] in TYPEVARS else None
            if bound is not None:
                self.facts.typevar_bounds[name] = bound
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            names[small.target.value] = (self.expr(small.value) if small.value is not None
                                         else self.annotation(small.annotation.annotation))

    def _typevar_bound(self, call: cst.BaseExpression) -> Expr | None:
        """The class `TypeVar("T", bound=Base)` (or `bound="Base"`) is bounded by."""
        bound = next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "bound"),
                     None) if isinstance(call, cst.Call) else None
        found = self.annotation(bound) if bound is not None else None
        return found[1] if found is not None and found[0] == "inst" else None

    # -- definitions ------------------------------------------------------------------------------
    def function_facts(self, node: cst.FunctionDef) -> FunctionFacts:
        qualname = qualname_of(node, self.parents)
        class_qualname = self._class_of(node)
        decorators = tuple(self._decorator_name(d) for d in node.decorators)
        role, fixture_name, fixture_scope = self._role(node, decorators, class_qualname)
        params = tuple((p.name.value, self._param_type(p, node, class_qualname, role))
                       for p in _all_params(node.params))
        returns = self.annotation(node.returns.annotation) if node.returns is not None else self._returned(node)
        value = self._handed_out(node) if role in ("fixture", "contextmanager") else None
        blocker, sync_entry = self._blocker(node, decorators, class_qualname, role)
        return FunctionFacts(
            qualname=qualname, name=node.name.value, line=self.line_of(node),
            is_async=node.asynchronous is not None, is_generator=_yields(node),
            class_qualname=class_qualname, blocker=blocker, sync_entry=sync_entry,
            takes_session=any(self.evidence.session(p.name) is not None for p in _all_params(node.params)),
            role=role, params=params, returns=returns, value=value, fixture_name=fixture_name,
            fixture_scope=fixture_scope,
            decorators=decorators, eager_loads=frozenset(loader_targets(node.body)),
        )

    def _class_of(self, function: cst.FunctionDef) -> str | None:
        """The qualname of the class `function` is a method of, if it is one."""
        block = self.parents.get(function)
        owner = self.parents.get(block) if isinstance(block, cst.IndentedBlock) else None
        return qualname_of(owner, self.parents) if isinstance(owner, cst.ClassDef) else None

    def _decorator_name(self, decorator: cst.Decorator) -> str:
        target = decorator.decorator
        call = isinstance(target, cst.Call)
        func = target.func if isinstance(target, cst.Call) else target
        qualified = self._qualified(func)
        return (qualified or dotted_name(func) or "?") + ("()" if call else "")

    def _qualified(self, node: cst.BaseExpression) -> str | None:
        expr = self.expr(node)
        return expr[1].removeprefix("builtins.") if expr is not None and expr[0] == "name" else None

    def _role(self, node: cst.FunctionDef, decorators: tuple[str, ...], class_qualname: str | None):
        for decorator in node.decorators:
            target = decorator.decorator
            func = target.func if isinstance(target, cst.Call) else target
            qualified = self._qualified(func) or dotted_name(func) or ""
            if qualified in FIXTURE_DECORATORS:
                return ("fixture", self._fixture_argument(target, "name") or node.name.value,
                        self._fixture_argument(target, "scope"))
            if qualified in CONTEXT_MANAGER_DECORATORS and node.asynchronous is None and len(node.decorators) == 1:
                return "contextmanager", None, None
            if isinstance(func, cst.Attribute) and isinstance(target, cst.Call):
                if func.attr.value in ROUTE_METHODS and self._routes_owner(func.value) and not self._flask_module():
                    return "route", None, None
                if func.attr.value in HANDLER_DECORATORS and self._routes_owner(func.value):
                    return "handler", None, None
        if class_qualname is not None and node.name.value in CONTEXT_METHODS and not node.decorators \
                and node.asynchronous is None:
            return "context-method", None, None
        in_test_scope = class_qualname is None or class_qualname.split(".")[-1].startswith("Test")
        if self.facts.is_test_module and node.name.value.startswith("test") and in_test_scope:
            parent = self.parents.get(node)
            if isinstance(parent, cst.IndentedBlock):
                parent = self.parents.get(parent)
            if isinstance(parent, (cst.Module, cst.ClassDef)):
                return "test", None, None
        return None, None, None

    def _fixture_argument(self, decorator: cst.BaseExpression, keyword: str) -> str | None:
        """A string argument of `@pytest.fixture(...)`: `name=` or `scope=`."""
        if isinstance(decorator, cst.Call):
            for arg in decorator.args:
                if arg.keyword is not None and arg.keyword.value == keyword:
                    return string_value(arg.value)
        return None

    def _routes_owner(self, receiver: cst.BaseExpression) -> bool:
        """`@router.get(...)`: the receiver is an APIRouter/FastAPI instance, or named like one."""
        expr = self.expr(receiver)
        if expr is not None and expr[0] == "name" and expr[1].startswith(self.module_name + "."):
            expr = self.facts.names.get(expr[1][len(self.module_name) + 1:])
        if expr is not None and expr[0] == "call" and expr[1] is not None and expr[1][0] == "name":
            return expr[1][1] in ROUTE_OWNERS or expr[1][1].rsplit(".", 1)[-1] in ("APIRouter", "FastAPI", "Starlette")
        name = (dotted_name(receiver) or "").split(".")[-1]
        return name in ("app", "router", "api") or name.endswith(("_router", "_app"))

    def _blocker(self, node: cst.FunctionDef, decorators: tuple[str, ...], class_qualname: str | None,
                 role: str | None) -> tuple[str | None, bool]:
        """Why the function may never become async, if something local says so, and whether that reason is a
        decorator that wraps a sync callable: then the function can stay a sync entry point whose body runs
        async (FunctionFacts.sync_entry)."""
        name = node.name.value
        if name.startswith("__") and name.endswith("__") and name not in DUNDERS_ALLOWED_ASYNC \
                and role != "context-method":
            return f"`{name}` is called implicitly by Python, which never awaits it", False
        if class_qualname is None and is_alembic_revision(self.module):
            return ("an Alembic revision runs synchronously on the connection `op.get_bind()` hands it (the async "
                    "env runs migrations through `run_sync`): Alembic never awaits upgrade()/downgrade()"), False
        for decorator in decorators:
            bare = decorator.removesuffix("()")
            last = bare.rsplit(".", 1)[-1]
            if bare in PROPERTY_DECORATORS or last in ("setter", "getter", "deleter", "cached_property"):
                return "a @property is read as an attribute, which cannot be awaited", False
            if bare in CACHE_DECORATORS:
                return f"@{bare} would cache the coroutine object, not its result", False
            if bare in CONTEXT_MANAGER_DECORATORS:
                if role == "contextmanager":
                    continue  # it becomes an @asynccontextmanager entered with `async with` (see the solver)
                return ("a @contextmanager generator with other decorators is entered with `with`; convert it by "
                        "hand"), False
            if bare in CELERY_DECORATORS or (last == "task" and "." in bare):
                return "a Celery task runs in a sync worker", True
            if bare in ORM_EVENT_DECORATORS:
                return ("an SQLAlchemy event listener runs synchronously inside the operation that fires it (a flush, "
                        "a connect), on that operation's own connection"), False
            if bare in HARMLESS_DECORATORS or bare in FIXTURE_DECORATORS or bare.startswith("pytest.mark."):
                continue
            if role in ("route", "handler") and last in ROUTE_METHODS | HANDLER_DECORATORS:
                continue
            if last in ROUTE_METHODS and self._flask_module():
                return ("Flask calls its views synchronously (an `async def` view runs on a new event loop per "
                        "request, which an async engine's pool cannot share)"), False
            return f"decorated by @{bare}, which may not accept a coroutine function", True
        if class_qualname is not None and name in HTTP_METHODS:
            view_class = self._flask_view_base(node)
            if view_class is not None:
                return (f"{view_class} calls `{name}()` synchronously (a Flask view method cannot be a "
                        "coroutine)"), False
        return None, False

    def _flask_module(self) -> bool:
        """A module that imports Flask and neither FastAPI nor Starlette: its `@x.route`s are Flask views."""
        if self._flask is None:
            self._flask = self._imports_flask_only()
        return self._flask

    def _imports_flask_only(self) -> bool:
        imported = {(dotted_name(small.module) or "") if isinstance(small, cst.ImportFrom) else
                    (dotted_name(alias.name) or "") for statement in self.module.body
                    if isinstance(statement, cst.SimpleStatementLine) for small in statement.body
                    if isinstance(small, (cst.Import, cst.ImportFrom)) and not (
                        isinstance(small, cst.ImportFrom) and small.module is None)
                    for alias in (small.names if isinstance(small, cst.Import) else (None,))}
        roots = {name.split(".")[0] for name in imported}
        return bool(roots & {"flask", "flask_restful", "flask_restx"}) and not roots & {"fastapi", "starlette"}

    def _flask_view_base(self, method: cst.FunctionDef) -> str | None:
        """`Resource` when `method` is defined in a class deriving from a Flask view class."""
        body = self.parents.get(method)
        cls = self.parents.get(body) if isinstance(body, cst.IndentedBlock) else None
        if not isinstance(cls, cst.ClassDef):
            return None
        for base in cls.bases:
            qualified = self._qualified(base.value)
            if qualified in FLASK_VIEW_CLASSES:
                return qualified.replace("_", "-").split(".")[0].title().replace("Flask-Restful", "Flask-RESTful") \
                    .replace("Flask-Restx", "Flask-RESTX")
        return None

    def _param_type(self, param: cst.Param, function: cst.FunctionDef, class_qualname: str | None,
                    role: str | None) -> Expr | None:
        if param.annotation is not None:
            return self.annotation(param.annotation.annotation)
        first = next(iter(_all_params(function.params)), None)
        if class_qualname is not None and param is first:
            decorators = {self._decorator_name(d) for d in function.decorators}
            if "staticmethod" in decorators:
                return None
            kind = "cls" if "classmethod" in decorators else "self"
            return (kind, self.path, class_qualname)
        if role in ("test", "fixture") or (self.facts.is_test_module and function.name.value.startswith("test")):
            return ("fixture", param.name.value, self.path)
        return None

    def _returned(self, function: cst.FunctionDef) -> Expr | None:
        """Without a return annotation: what the function's `return` statements agree it returns."""
        if _yields(function):
            return None
        found = {self.expr(node.value) for node in _own_nodes(function) if isinstance(node, cst.Return)
                 and node.value is not None and not (isinstance(node.value, cst.Name) and node.value.value == "None")}
        found.discard(None)
        return found.pop() if len(found) == 1 else None

    def _handed_out(self, function: cst.FunctionDef) -> Expr | None:
        """What a fixture or a generator context manager hands its users: the value of its (first) `return` or
        `yield`."""
        for node in _own_nodes(function):
            if isinstance(node, cst.Return) and node.value is not None:
                return self.expr(node.value)
            if isinstance(node, cst.Yield) and isinstance(node.value, cst.BaseExpression):
                return self.expr(node.value)
        return None

    def _class(self, node: cst.ClassDef) -> ClassFacts:
        qualname = qualname_of(node, self.parents)
        methods: dict[str, str] = {}
        attributes: dict[str, Expr] = {}
        relationships: dict[str, Relationship] = {}
        has_table = False
        required: list[str] = []
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef):
                methods[statement.name.value] = f"{qualname}.{statement.name.value}"
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    target, value, annotation = _class_binding(small)
                    if target is None:
                        continue
                    if annotation is not None and _required_field(annotation, value):
                        required.append(target)
                    if target == "__tablename__" or target == "__table__":
                        has_table = True
                    relationship = self._relationship(value, annotation)
                    if relationship is not None:
                        relationships[target] = relationship
                    elif annotation is not None:
                        attributes[target] = self.annotation(annotation)
                    elif value is not None:
                        attributes[target] = self.expr(value)
        for method in node.body.body:
            if isinstance(method, cst.FunctionDef):
                for assign_target, value in _self_assignments(method):
                    attributes.setdefault(assign_target, self.expr(value))
        # `BaseRepository[Task]` inherits from BaseRepository, with Task for its type parameter.
        written = [arg.value for arg in node.bases if arg.keyword is None]
        plain = [base.value if isinstance(base, cst.Subscript) else base for base in written]
        arguments = tuple(tuple(self.expr(e.slice.value) for e in base.slice if isinstance(e.slice, cst.Index))
                          if isinstance(base, cst.Subscript) else () for base in written)
        bases = tuple(self.expr(base) for base in plain)
        base_names = tuple(dotted_name(base) or "" for base in plain)
        return ClassFacts(qualname, self.line_of(node), bases, base_names, methods, attributes, relationships,
                          has_table, arguments, tuple(required))

    def _relationship(self, value: cst.BaseExpression | None, annotation: cst.BaseExpression | None):
        if not isinstance(value, cst.Call):
            return None
        callee = self._qualified(value.func) or dotted_name(value.func) or ""
        if callee.rsplit(".", 1)[-1] != "relationship":
            return None
        flask = isinstance(value.func, cst.Attribute) and self.evidence.is_flask_extension(value.func.value)
        if not (callee.startswith("sqlalchemy") or callee == "relationship" or flask):
            return None
        target: Expr | None = None
        if value.args and value.args[0].keyword is None:
            first = value.args[0].value
            text = string_value(first)
            target = self._string_type(text) if text is not None else self.expr(first)
        collection = True
        eager = False
        backref = None
        for arg in value.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "backref":
                backref = _backref_name(arg.value)
            elif arg.keyword.value == "uselist":
                collection = not (isinstance(arg.value, cst.Name) and arg.value.value == "False")
            elif arg.keyword.value == "lazy":
                strategy = string_value(arg.value)
                eager = strategy in ("selectin", "joined", "subquery", "immediate", "noload", "raise",
                                     "raise_on_sql", "write_only", "dynamic")
        if annotation is not None:
            typed = self.annotation(annotation)
            if typed is not None:
                collection = typed[0] == "list"
                if target is None:
                    target = typed[1] if typed[0] == "list" else typed
        if target is not None and target[0] == "inst":
            target = target[1]
        return Relationship(target, collection, eager, backref)

    # -- call sites and value uses ----------------------------------------------------------------
    def call_site(self, node: cst.Call) -> CallSite:
        owner, context = self.placement(node)
        parent = self.parents.get(node)
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        sessions = self._session_arguments(node)
        session_first = bool(positional) and positional[0] in sessions
        passes_session = bool(sessions)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        return CallSite(
            callee=self.expr(node.func), line=self.line_of(node), owner=owner, context=context,
            awaited=isinstance(parent, cst.Await), iterated=self._iterated(node), entered=self._entered(node),
            session_first=session_first, passes_session=passes_session, method=method, used=self._used(node, parent),
            query_args=self._query_args(node), finishes=self._finishes(node), bound=self._bound(node, parent),
            thunk=isinstance(parent, cst.Lambda) and self._thunk_call(parent) is node,
            session_args=self._values(sessions), returned_use=self._returned_use(node),
        )

    def _returned_use(self, node: cst.Call) -> tuple | str | None:
        if not query_returns.may_finish(self.evidence, node):
            return None
        found = query_returns.returned_use(self.evidence, node)
        if isinstance(found, str):
            return found
        return query_returns.local_names(self.evidence, node), tuple(self.expr(model) for model in found)

    def _session_arguments(self, node: cst.Call) -> list[cst.Arg]:
        """The arguments of a call that are database sessions."""
        return [arg for arg in node.args if not arg.star and self.evidence.session(arg.value) is not None]

    def _values(self, arguments: list[cst.Arg]) -> tuple[Expr, ...]:
        return tuple(found for arg in arguments if (found := self.expr(arg.value)) is not None)

    def entry_sites(self, item: cst.WithItem) -> list[CallSite]:
        """`with x:` calls `x.__enter__()` and `x.__exit__(...)`: a class of the project may make them async."""
        statement = self.parents.get(item)
        if not isinstance(statement, cst.With) or statement.asynchronous is not None:
            return []
        receiver = self.expr(item.item)
        if receiver is None:
            return []
        owner, context = self.placement(item.item)
        line = self.line_of(item.item)
        return [CallSite(callee=("attr", receiver, method), line=line, owner=owner, context=context, entered=True)
                for method in CONTEXT_METHODS]

    def _bound(self, node: cst.Call, parent: cst.CSTNode | None) -> bool:
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
            return False
        target = parent.targets[0].target
        return isinstance(target, cst.Name) and isinstance(metadata_value(self.scopes, target), FunctionScope)

    # -- legacy queries handed to functions (query_params.py) --------------------------------------
    @property
    def query_flows(self):
        """Q's flow analysis, allowing any query handed to a call: what each call passes is recorded, and the
        coloring decides which calls may keep doing so."""
        if self._query_flows is None:
            self._query_flows = query_params.scan_flows(self.evidence)
        return self._query_flows

    @property
    def query_helpers(self) -> query_returns.QueryHelpers:
        if self._query_helpers is None:
            self._query_helpers = query_returns.QueryHelpers(self.evidence, self.query_flows)
        return self._query_helpers

    def _finishes(self, node: cst.Call) -> bool:
        if node.args or not isinstance(node.func, cst.Attribute):
            return False
        found = self.query_helpers.finish(node)
        return found is not None and _is_conversion(found)

    def receives_query(self, node: cst.FunctionDef) -> tuple[str, int] | None:
        found = query_params.candidate(self.evidence, node, self.evidence.config.session_names)
        if not isinstance(found, query_params.Candidate) or not _is_conversion(self.query_flows.parameter(found)):
            return None
        return found.param.name.value, found.position

    def _query_args(self, node: cst.Call) -> tuple[tuple[str, str], ...]:
        found = []
        positional = 0
        for arg in node.args:
            if arg.star:
                return ()
            origin = query_params.query_origin(self.evidence, arg.value)
            slot = arg.keyword.value if arg.keyword is not None else str(positional)
            positional += arg.keyword is None
            if origin is None:
                continue
            conversion = self.query_flows.convert(origin)
            if _is_conversion(conversion) and [call for call, _ in conversion.arguments] == [node]:
                found.append((slot, query_params.passed_shape(self.query_flows.planner.resolve, _code,
                                                                conversion.entities, conversion.steps)))
        return tuple(found)

    def _used(self, node: cst.Call, parent: cst.CSTNode | None) -> bool:
        if isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node:
            return True
        if isinstance(parent, cst.Call) and parent.func is node:
            return True
        if isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.ComparisonTarget,
                               cst.BooleanOperation, cst.FormattedStringExpression)):
            return True
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and parent.test is node:
            return True
        return self._iterated(node)

    def _iterated(self, node: cst.Call) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node

    def _entered(self, node: cst.Call) -> bool:
        item = self.parents.get(node)
        return isinstance(item, cst.WithItem) and item.item is node and isinstance(self.parents.get(item), cst.With)

    def placement(self, node: cst.CSTNode) -> tuple[str | None, str]:
        """Which function's body runs `node`, and whether `await` could go there once it is async."""
        scope = metadata_value(self.scopes, node)
        while isinstance(scope, ComprehensionScope):
            if isinstance(scope.node, cst.GeneratorExp) and not drained_at_once(scope.node, self.parents.get):
                return self._function_owner(scope), "inside a generator expression"
            scope = scope.parent
        if isinstance(scope, FunctionScope):
            if isinstance(scope.node, cst.Lambda):
                return self._function_owner(scope), "inside a lambda"
            return qualname_of(scope.node, self.parents), "body"
        if isinstance(scope, ClassScope):
            return None, "in a class body"
        if self._under_main_guard(node) or self._conftest_statement(node):
            return None, "main"
        return None, "at module level, when the module is imported"

    def _conftest_statement(self, node: cst.CSTNode) -> bool:
        """`main()` as a statement of its own at the top of a conftest.py: pytest imports the file while it
        collects, before any test's event loop exists, so the call can go through asyncio.run() like a
        script's entry point."""
        if PurePosixPath(self.path).name != "conftest.py":
            return False
        expression = self.parents.get(node)
        line = self.parents.get(expression)
        return isinstance(expression, cst.Expr) and expression.value is node and \
            isinstance(line, cst.SimpleStatementLine) and self.parents.get(line) is self.module

    def _function_owner(self, scope: Scope | None) -> str | None:
        while scope is not None and not isinstance(scope, GlobalScope):
            if isinstance(scope, FunctionScope) and isinstance(scope.node, cst.FunctionDef):
                return qualname_of(scope.node, self.parents)
            scope = scope.parent
        return None

    def _under_main_guard(self, node: cst.CSTNode) -> bool:
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, cst.If) and _is_main_guard(current.test) and isinstance(
                    self.parents.get(current), cst.Module):
                return True
            current = self.parents.get(current)
        return False

    def attribute_read(self, node: cst.Attribute) -> AttributeRead | None:
        """`obj.name` anywhere but in imports, decorators and the callee position of a call."""
        parent = self.parents.get(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return None
        current = parent
        while isinstance(current, (cst.Attribute, cst.ImportAlias, cst.Decorator, cst.Import, cst.ImportFrom)):
            if not isinstance(current, cst.Attribute):
                return None
            current = self.parents.get(current)
        holder, child = parent, node
        while isinstance(holder, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            holder, child = self.parents.get(holder), holder
        kind = "load"
        if (isinstance(holder, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor))
                and holder.target is child) or (isinstance(holder, cst.AsName) and holder.name is child):
            kind = "store"
        elif isinstance(holder, cst.Del):
            kind = "delete"
        owner, context = self.placement(node)
        return AttributeRead(node.attr.value, self.expr(node.value), self.line_of(node), owner, context, kind)

    def read_by_name(self, node: cst.Call) -> AttributeRead | None:
        """`getattr(obj, "name")`, `setattr`, `hasattr`, `delattr`, `operator.attrgetter("name")`."""
        callee = self.expr(node.func)
        function = callee[1] if callee is not None and callee[0] == "name" else ""
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if function in ("builtins.getattr", "builtins.setattr", "builtins.hasattr", "builtins.delattr"):
            name = string_value(positional[1]) if len(positional) > 1 else None
            receiver = self.expr(positional[0])
        elif function == "operator.attrgetter":
            name = string_value(positional[0]) if positional else None
            receiver = None
        else:
            return None
        if not name:
            return None
        owner, context = self.placement(node)
        return AttributeRead(name.split(".")[0], receiver, self.line_of(node), owner, context, "by-name")

    def value_use(self, node: cst.Name | cst.Attribute) -> ValueUse | None:
        parent = self.parents.get(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return None
        if isinstance(parent, (cst.Attribute, cst.Decorator, cst.Annotation, cst.ImportAlias, cst.AssignTarget,
                               cst.Param, cst.FunctionDef, cst.ClassDef, cst.AsName, cst.Subscript, cst.ImportFrom,
                               cst.Import, cst.Global, cst.Nonlocal)):
            return None
        if isinstance(node, cst.Name) and not self._is_load(node):
            return None
        consumer, detail = self._consumer(node, parent)
        if consumer is None:
            return None
        target = self.expr(node)
        # A local holding what a call returns may hold a function a factory made (coloring_callables.py).
        kinds = ("name", "def", "attr", "call") if isinstance(node, cst.Name) else ("name", "def", "attr")
        if target is None or target[0] not in kinds:
            return None
        owner, _ = self.placement(node)
        keyword = parent.keyword.value if isinstance(parent, cst.Arg) and parent.keyword is not None else None
        call = self.parents.get(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(call, cst.Call):
            return ValueUse(target, self.line_of(node), owner, consumer, detail, keyword, self.expr(call.func),
                            argument_slot(call, parent))
        return ValueUse(target, self.line_of(node), owner, consumer, detail, keyword)

    def thunk_use(self, node: cst.Lambda) -> ValueUse | None:
        """`safe_try(lambda: fix(db))`: the lambda hands `fix`'s result to whoever calls it, so it is a value use
        of `fix` by that call, like `safe_try(fix)` (coloring_callables follows it)."""
        call = self._thunk_call(node)
        arg = self.parents.get(node)
        consumer = self.parents.get(arg) if isinstance(arg, cst.Arg) else None
        if call is None or not isinstance(consumer, cst.Call) or arg.value is not node or arg.star:
            return None
        target = self.expr(call.func)
        if target is None or target[0] not in ("name", "def", "attr"):
            return None
        owner, _ = self.placement(node)
        detail = f"handed in a lambda to `{dotted_name(consumer.func) or 'a call'}(...)`"
        keyword = arg.keyword.value if arg.keyword is not None else None
        return ValueUse(target, self.line_of(node), owner, "unknown", detail, keyword, self.expr(consumer.func),
                        argument_slot(consumer, arg), self._values(self._session_arguments(call)))

    @staticmethod
    def _thunk_call(node: cst.Lambda) -> cst.Call | None:
        """The call a lambda without parameters consists of (`lambda: fix(db)`), if that is all it does."""
        params = node.params
        if params.params or params.posonly_params or params.kwonly_params or not isinstance(
                params.star_arg, cst.MaybeSentinel) or params.star_kwarg is not None:
            return None
        return node.body if isinstance(node.body, cst.Call) else None

    def _is_load(self, name: cst.Name) -> bool:
        scope = metadata_value(self.scopes, name)
        if scope is None:
            return False
        return any(access.node is name for access in scope.accesses[name.value]) if name.value in scope else False

    def _consumer(self, node: cst.CSTNode, parent: cst.CSTNode | None) -> tuple[str | None, str]:
        if isinstance(parent, cst.Arg):
            call = self.parents.get(parent)
            if not isinstance(call, cst.Call):
                return "unknown", ""
            callee = self._qualified(call.func) or dotted_name(call.func) or ""
            last = callee.rsplit(".", 1)[-1]
            if callee in DEPENDS or last in ("Depends", "Security"):
                return "depends", callee
            if isinstance(call.func, cst.Attribute) and last == "add_task" and call.args[0] is parent:
                # The detail is the position of the first session argument, if any (F106).
                position = next((str(i) for i, arg in enumerate(call.args[1:], start=1)
                                 if arg.keyword is None and not arg.star and self.is_session(arg.value)), "")
                return "background", position
            if last in ROUTE_REGISTRATIONS or callee in ROUTE_CLASSES:
                return "route", callee
            return "unknown", f"passed to `{dotted_name(call.func) or 'a call'}(...)`"
        if isinstance(parent, cst.Return) or isinstance(parent, cst.Yield):
            function = self.evidence.enclosing(node, cst.FunctionDef)
            if function is not None and self._is_fixture(function):
                return "fixture-value", ""
            return "unknown", "returned as a value"
        if isinstance(parent, (cst.Assign, cst.AnnAssign)):
            if isinstance(parent, cst.Assign) and all(_dependency_override(t.target) for t in parent.targets):
                # `app.dependency_overrides[get_db] = override_get_db`: FastAPI resolves it like a dependency.
                return "depends", "dependency_overrides"
            return "unknown", "stored in a variable"
        if isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement)):
            return "unknown", "stored in a collection"
        return None, ""

    def _is_fixture(self, function: cst.FunctionDef) -> bool:
        return any((self._qualified(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                    or "") in FIXTURE_DECORATORS for d in function.decorators)

    # -- expressions ------------------------------------------------------------------------------
    def is_session(self, node: cst.BaseExpression) -> bool:
        return self.evidence.session(node) is not None

    def bound_values(self, name: cst.Name) -> list[cst.BaseExpression]:
        """The values a local name is bound to in its function (assignments only); nothing for another node."""
        if not isinstance(name, cst.Name):
            return []
        scope = metadata_value(self.scopes, name)
        if not isinstance(scope, (FunctionScope, ComprehensionScope)) or name.value not in scope:
            return []
        values = []
        for assignment in self.evidence.bindings(scope, name.value):
            if not isinstance(assignment.scope, GlobalScope):
                value = self.evidence.bound_value(assignment.node)
                if value is not None:
                    values.append(value)
        return values

    def _statement_values(self, node: cst.BaseExpression) -> list[cst.BaseExpression]:
        """What a statement kept in a name was bound to, or what `self.<method>()` of the class returns
        (`self._query()` building `select(self.model)` in a generic repository): the rows' class, for typing only
        (the rewrites place options on statements of their own function, through `bound_values`)."""
        if isinstance(node, cst.Name):
            return self.bound_values(node)
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and isinstance(node.func.value, cst.Name) and node.func.value.value == "self"):
            return []
        cls = self.evidence.enclosing(node, cst.ClassDef)
        methods = [statement for statement in cls.body.body if isinstance(statement, cst.FunctionDef)
                   and statement.name.value == node.func.attr.value] if cls is not None else []
        return [found.value for method in methods for found in own_nodes(method)
                if isinstance(found, cst.Return) and found.value is not None]

    def expr(self, node: cst.BaseExpression | None) -> Expr | None:
        if node is None:
            return None
        key = id(node)
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            return self._expr(node)
        finally:
            self._in_progress.discard(key)

    def _expr(self, node: cst.BaseExpression) -> Expr | None:
        if isinstance(node, cst.Name):
            return self._name(node)
        if isinstance(node, cst.Attribute):
            base = self.expr(node.value)
            if base is None:
                return None
            if base[0] == "name":
                return ("name", f"{base[1]}.{node.attr.value}")
            return ("attr", base, node.attr.value)
        if isinstance(node, cst.Call):
            loaded = loaded_by(node, self.is_session, self._statement_values)
            if loaded is not None:
                model = self.expr(loaded.model)
                instance = ("inst", model) if model is not None else None
                return ("list", instance) if loaded.collection and instance is not None else instance
            if is_select(node):
                model = self.expr(node.args[0].value)
                return ("stmt", ("inst", model)) if model is not None else None
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in REFINING:
                receiver = self.expr(node.func.value)
                if receiver is not None and receiver[0] in ("stmt", "list"):
                    return receiver
            if isinstance(node.func, cst.Name) and node.func.value == "super" and not node.args:
                cls = self.evidence.enclosing(node, cst.ClassDef)
                return ("super", self.path, qualname_of(cls, self.parents)) if cls is not None else None
            inner = self.expr(node.func)
            if inner in PICKS_AN_ELEMENT and node.args and not node.args[0].star:
                # `random.choice(users)`: one of the collection's values.
                collection = self.expr(node.args[0].value)
                return ("elem", collection) if collection is not None else None
            return ("call", inner) if inner is not None else None
        if isinstance(node, cst.Await):
            return self.expr(node.expression)
        if isinstance(node, cst.Subscript):
            inner = self.expr(node.value)
            if inner is None:
                return None
            # A subscript carries its index (None unless a literal), which tells it from a loop's element.
            return ("elem", inner, _literal_index(node))
        if isinstance(node, cst.BooleanOperation):
            return _either(self.expr(node.left), self.expr(node.right))
        if isinstance(node, cst.IfExp):
            return _either(self.expr(node.body), self.expr(node.orelse))
        if isinstance(node, (cst.List, cst.ListComp, cst.Tuple, cst.Set, cst.SetComp)):
            element = node.elt if isinstance(node, (cst.ListComp, cst.SetComp)) else (
                node.elements[0].value if node.elements else None)
            inner = self.expr(element) if element is not None else None
            return ("list", inner) if inner is not None else None
        return None

    def _name(self, node: cst.Name) -> Expr | None:
        scope = metadata_value(self.scopes, node)
        if scope is None or node.value not in scope:
            return ("name", f"builtins.{node.value}") if scope is not None else None
        assignments = self.evidence.bindings(scope, node.value)
        if not assignments:
            return ("name", f"builtins.{node.value}")
        if all(isinstance(a.scope, GlobalScope) for a in assignments):
            bound = self.facts.names.get(node.value)
            if bound is not None and bound[0] == "name":
                return bound  # an import: the name stands for what it imports
            return ("name", f"{self.module_name}.{node.value}")
        return self._local(node, assignments)

    def _local(self, read: cst.Name, assignments: list[Assignment]) -> Expr | None:
        """What a local name holds where `read` reads it: its bindings' values, worked out once and remembered.

        Some bindings read the name itself (`q = db.query(Job)`, then `if ...: q = q.filter(...)` and
        `q = q.order_by(...)`): each such step sees the others applied to the chain's start, once, and a read
        that a binding's value is worked out from sees the name without that binding. Following every order
        of the steps, as an earlier version did, costs n! for n steps and says no more."""
        key = (id(assignments[0].scope), read.value)
        value = self._locals.get(key)
        if value is None:
            for depth, frame in enumerate(self._locals_in_progress):
                if frame.key == key:
                    frame.reads_itself[id(read)] = frame.binding
                    for inner in self._locals_in_progress[depth + 1:]:
                        inner.provisional = True  # it saw a value still being worked out: not to be remembered
                    return frame.read
            value = self._work_out(key, assignments)
        return value.within.get(id(read), value.everywhere)

    def _work_out(self, key: tuple[int, str], assignments: list[Assignment]) -> _LocalValue:
        frame = _LocalInProgress(key)
        self._locals_in_progress.append(frame)
        # Whatever expression was being worked out around the first read says nothing about the name's value.
        outer, self._in_progress = self._in_progress, set()
        try:
            alone = self._bindings(frame, assignments, lambda i: None)  # reading the name itself gives nothing yet
            if not frame.reads_itself:
                value = _LocalValue(_alternatives(alone))
            else:
                start = _alternatives(alone)
                once = self._bindings(frame, assignments, lambda i: start)  # each step applied to the chain's start
                without = [_alternatives([*once[:i], alone[i], *once[i + 1:]]) for i in range(len(assignments))]
                steps = self._bindings(frame, assignments, lambda i: without[i])
                value = _LocalValue(_alternatives(steps), {read: without[i] for read, i in frame.reads_itself.items()})
        finally:
            self._in_progress = outer
            self._locals_in_progress.pop()
        if not frame.provisional:
            self._locals[key] = value
        return value

    def _bindings(self, frame: _LocalInProgress, assignments: list[Assignment], reads) -> list[Expr | None]:
        """The value of each binding, where reading the name itself inside binding i gives reads(i)."""
        values = []
        for i, assignment in enumerate(assignments):
            frame.binding, frame.read = i, reads(i)
            values.append(self._binding(assignment))
        return values

    def _binding(self, assignment: Assignment) -> Expr | None:
        node = assignment.node
        if isinstance(node, cst.Param):
            function = self.evidence.enclosing(node, cst.FunctionDef)
            if function is None:
                return None
            class_qualname = self._class_of(function)
            key = id(function)
            if key not in self._roles:
                self._roles[key] = self._role(function, (), class_qualname)[0]
            return self._param_type(node, function, class_qualname, self._roles[key])
        if isinstance(node, cst.FunctionDef):
            return ("def", self.path, qualname_of(node, self.parents))
        if isinstance(node, cst.ClassDef):
            return ("class", self.path, qualname_of(node, self.parents))
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return self._imported(node, assignment.name)
        parent = self.parents.get(node)
        if isinstance(parent, cst.AnnAssign):
            return self.annotation(parent.annotation.annotation)
        if isinstance(parent, cst.AsName):
            item = self.parents.get(parent)
            if isinstance(item, cst.WithItem):
                inner = self.expr(item.item)
                return ("enter", inner) if inner is not None else None
            return None
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
            inner = self.expr(parent.iter)
            return ("elem", inner) if inner is not None else None
        value = self.evidence.bound_value(node)
        return self.expr(value) if value is not None else self._unpacked(node)

    def _unpacked(self, target: cst.CSTNode) -> Expr | None:
        """A name unpacked from a value: `a, b = A(), B()` the value at the target's position; `first, second =
        users` one element of the collection; `for user, private in [(first, True), (second, False)]:` the first
        row's value at the target's position (the rows of such a literal hold the same kinds of values)."""
        element = self.parents.get(target)
        pattern = self.parents.get(element) if type(element) is cst.Element else None
        owner = self.parents.get(pattern) if isinstance(pattern, (cst.Tuple, cst.List)) else None
        position = list(pattern.elements).index(element) if owner is not None else 0
        assign = self.parents.get(owner) if isinstance(owner, cst.AssignTarget) else None
        if isinstance(assign, cst.Assign):
            if isinstance(assign.value, (cst.Tuple, cst.List)):
                return self._at(assign.value, len(pattern.elements), position)
            collection = self.expr(assign.value)
            if collection is None:
                return None
            starred = any(isinstance(value, cst.StarredElement) for value in pattern.elements) if owner else True
            return ("elem", collection) if starred else ("elem", collection, position)
        if isinstance(owner, (cst.For, cst.CompFor)) and owner.target is pattern \
                and isinstance(owner.iter, (cst.List, cst.Tuple)) and owner.iter.elements:
            return self._at(owner.iter.elements[0].value, len(pattern.elements), position)
        return None

    def _at(self, row: cst.BaseExpression, length: int, position: int) -> Expr | None:
        """The value at `position` of a literal tuple or list of `length` values, none of them starred."""
        if not isinstance(row, (cst.Tuple, cst.List)) or len(row.elements) != length \
                or any(isinstance(value, cst.StarredElement) for value in row.elements):
            return None
        return self.expr(row.elements[position].value)

    def annotation(self, node: cst.BaseExpression | None) -> Expr | None:
        """`Job`, `Job | None`, `Optional[Job]`, `list[Job]`, `"Job"` → what a value of that type is."""
        if node is None:
            return None
        if isinstance(node, cst.SimpleString):
            return self._string_type(string_value(node))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, right = self.annotation(node.left), self.annotation(node.right)
            if left is None or left == ("inst", ("name", "builtins.None")):
                return right
            return left
        if isinstance(node, cst.Subscript):
            head = (dotted_name(node.value) or "").split(".")[-1]
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if head in TYPE_WRAPPERS and elements:
                for element in elements:
                    found = self.annotation(element)
                    if found is not None and found != ("inst", ("name", "builtins.None")):
                        return found
                return None
            if head in MAPPING_TYPES and len(elements) == 2:
                inner = self.annotation(elements[1])
                return ("map", inner) if inner is not None else None
            if head in COLLECTION_TYPES and elements:
                if head in ("tuple", "Tuple") and len({_code(e) for e in elements} - {"..."}) > 1:
                    # `tuple[Repo, User]`: no one type for its elements, each one's at its position.
                    if any(_code(e) == "..." for e in elements):
                        return None
                    positions = tuple(self.annotation(e) for e in elements)
                    return ("tuple", positions) if any(positions) else None
                inner = self.annotation(elements[0])
                return ("list", inner) if inner is not None else None
            if head == "type" and elements:
                inner = self.annotation(elements[0])
                return inner[1] if inner is not None and inner[0] == "inst" else None
            # A generic class of the project's own, parametrised (`GroupRepository[Schema, Model]`): an instance
            # of that class. The standard library's and typing's generics say nothing about a class.
            generic = self.expr(node.value) if isinstance(node.value, (cst.Name, cst.Attribute)) else None
            if generic is not None and generic[0] == "name" and not generic[1].startswith(STANDARD_GENERICS):
                return ("inst", generic)
            return None
        if isinstance(node, (cst.Name, cst.Attribute)):
            if isinstance(node, cst.Name) and node.value == "None":
                return ("inst", ("name", "builtins.None"))
            inner = self.expr(node)
            return ("inst", inner) if inner is not None else None
        return None

    def _string_type(self, text: str | None) -> Expr | None:
        if not text:
            return None
        try:
            parsed = cst.parse_expression(text)
        except cst.ParserSyntaxError:
            return None
        if isinstance(parsed, (cst.Name, cst.Attribute)):
            name = dotted_name(parsed)
            return ("inst", ("name", f"{self.module_name}.{name}")) if name else None
        return None


def _is_conversion(found) -> bool:
    return not isinstance(found, query_params.Unsupported)


def _literal_index(node: cst.Subscript) -> int | None:
    """`rows[2]`, `pair[-1]`: the integer a subscript indexes with, when it is written as a literal."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    negative = isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
    number = value.expression if negative else value
    if not isinstance(number, cst.Integer):
        return None
    return -int(number.value) if negative else int(number.value)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _alternatives(values: list[Expr | None]) -> Expr | None:
    """One value standing for a name's bindings: those that say anything, the first that resolves wins
    (`q = db.query(Job)` then `q = q.filter(...)`; `task = create(...)` here, `for task in ...` there)."""
    if len(values) == 1:
        return values[0]
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    if not distinct or len(distinct) > MAX_ALTERNATIVES:
        return None
    found = distinct[0]
    for value in distinct[1:]:
        found = _either(found, value)
    return found


def _either(left: Expr | None, right: Expr | None) -> Expr | None:
    if left is None:
        return right
    if right is None or right == left:
        return left
    return ("either", left, right)


def _as_name(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None:
        return None
    name = alias.asname.name
    return name.value if isinstance(name, cst.Name) else None


def _other_blocks(statement: cst.CSTNode):
    if isinstance(statement, cst.If) and statement.orelse is not None:
        orelse = statement.orelse
        yield orelse.body.body if isinstance(orelse, cst.Else) else [orelse]
    if isinstance(statement, cst.Try):
        for handler in statement.handlers:
            yield handler.body.body
        if statement.orelse is not None:
            yield statement.orelse.body.body
        if statement.finalbody is not None:
            yield statement.finalbody.body.body


def argument_slot(call: cst.Call, arg: cst.Arg) -> str | None:
    """The keyword `arg` is passed by, or its position among the positional arguments (None after a `*`)."""
    if arg.keyword is not None:
        return arg.keyword.value
    position = 0
    for other in call.args:
        if other is arg:
            return str(position)
        if other.star or other.keyword is not None:
            return None
        position += 1
    return None


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    names = {dotted_name(left), string_value(right), dotted_name(right), string_value(left)}
    return "__name__" in names and "__main__" in names and isinstance(test.comparisons[0].operator, cst.Equal)


def is_main_guard(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.If) and _is_main_guard(statement.test)


def _yields(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node in _own_nodes(function))


def own_nodes(function: cst.FunctionDef):
    return _own_nodes(function)


def _backref_name(value: cst.BaseExpression) -> str | None:
    """`backref="posts"`, `backref=backref("posts", ...)` (also `orm.backref`, `db.backref`) → "posts"."""
    if isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "backref" \
            and value.args and value.args[0].keyword is None:
        value = value.args[0].value
    return string_value(value)


def _class_binding(small: cst.BaseSmallStatement):
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value, None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value, small.value, small.annotation.annotation
    return None, None, None


def _required_field(annotation: cst.BaseExpression, value: cst.BaseExpression | None) -> bool:
    """A class attribute annotated so, with this value (or none), is a required field read under its own name."""
    head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    if (dotted_name(head) or "").rsplit(".", 1)[-1] == "ClassVar":
        return False
    if value is None:
        return True
    if not (isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "Field"):
        return False
    keywords = {arg.keyword.value for arg in value.args if arg.keyword is not None}
    if keywords & {"default", "default_factory", "alias", "validation_alias"}:
        return False
    positional = [arg.value for arg in value.args if arg.keyword is None and not arg.star]
    return not positional or isinstance(positional[0], cst.Ellipsis)


def _self_assignments(method: cst.FunctionDef):
    """`self.x = value` in a method's own body."""
    for node in _own_nodes(method):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
                yield target.attr.value, node.value


def _dependency_override(target: cst.BaseAssignTargetExpression) -> bool:
    """`<app>.dependency_overrides[<dependency>]`, FastAPI's table of replacement dependencies."""
    return isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) \
        and target.value.attr.value == "dependency_overrides"
