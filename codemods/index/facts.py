"""What the scan records about one module (functions, classes, call sites, value uses), and the names it
recognises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    # `self.<method>()...<terminal>` finishes the legacy query a method of this class returns (query/returns.py).
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
    # Passed to a call: its callee, and the keyword or the position it is passed at (callables.py).
    callee: Expr | None = None
    slot: str | None = None
    # A lambda handing on a call (ModuleScanner.thunk_use): the sessions that call passes, which the bridge can
    # hand a function that stays sync (`lambda: call_legacy(session, fix)`).
    session_args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class AttributeRead:
    """`obj.name` read, written or looked up by name (`getattr(obj, "name")`), for @property getters that may
    become async methods (properties.py). Calls `obj.name(...)` are call sites, not reads."""

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
    # Functions that may receive the session with the Query they take (query/params.py): parameter, position.
    query_functions: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Methods that return a legacy query for the other methods of their class to finish (query/returns.py).
    query_helpers: list[str] = field(default_factory=list)
    # Functions that return `Model.query...` of one Flask-SQLAlchemy model (if the index shows the class is one) on
    # every path, for any caller to finish (query_returns.approve_flask): the class, whether its rows may repeat it,
    # and the names bound around it.
    flask_helpers: dict[str, tuple[Expr | None, bool, tuple[str, ...]]] = field(default_factory=dict)
    is_test_module: bool = False
    is_conftest: bool = False
    # F110 (coloring/loop_driver.py): fixtures that drive an event loop, and the callables functions receive.
    loop_drivers: dict[str, str] = field(default_factory=dict)
    callable_params: dict[str, dict[str, tuple | None]] = field(default_factory=dict)
    # Modules whose public names this one re-exports with `from module import *`.
    star_imports: list[str] = field(default_factory=list)
    # Parameters a function only calls or hands on (callables.py): qualname -> CallableParams.
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
