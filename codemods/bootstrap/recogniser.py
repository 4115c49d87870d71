"""E: engine and bootstrap code — engines, session factories, declarative base, schema creation,
the `get_db` dependency and Alembic's env.py."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment

from . import alembic_env
from .alembic_env import plan_env
from . import async_url
from .async_url import literal_async_url
from ..core.await_sites import await_problem
from .plan import CreateAllPlan, DeclarativePlan, EnginePlan, MissingGetDb, SessionmakerPlan, SyncSessionFrom
from .rewrite import rewrite
from .engine_calls import RULES as ENGINE_CALL_RULES
from .engine_calls import AsyncEngineAnnotation, EngineCalls
from ..core.evidence import imports_from_alembic
from ..core.nodes import dotted_name, metadata_value, string_value
from ..core.receivers import ASYNC_SESSION_TYPES, SYNC_FACTORIES
from ..core.family import Family, Recogniser, words
from ..core.functions import _yields
from .get_db_template import GetDbPlan, plan_get_db
from ..core.rule import Rule

CREATE_ENGINE = Rule(
    code="E101", name="sync-create-engine", family="bootstrap",
    summary="`create_engine(...)` builds a sync engine",
    why=(
        "Async sessions need an `AsyncEngine` from `create_async_engine()` with an async driver in the URL "
        "(`sqlite+aiosqlite`, `postgresql+asyncpg`, `mysql+aiomysql`). SQLAlchemy 2.1 reads a bare "
        "`postgresql://` as psycopg 3, so the driver must always be spelled out."
    ),
    before='engine = create_engine(DATABASE_URL, pool_pre_ping=True)\n',
    after=(
        "from sqlalchemy.engine import URL, make_url\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "\n"
        "\n"
        + async_url.SOURCE
        + "\n"
        "\n"
        "engine = create_async_engine(async_database_url(DATABASE_URL), pool_pre_ping=True)\n"
    ),
    fixable=True,
    fix_notes=(
        "`create_engine` becomes `create_async_engine`. A URL literal is converted on the spot (with "
        "`sqlasync.compat.to_async_url`); any other URL expression is wrapped in `async_database_url(...)`, a "
        "small function the rewrite adds to the module once. It is written into the module rather than "
        "imported from `sqlasync.compat` so the migrated application does not depend on sqlasync at run "
        "time; it maps sqlite/pysqlite to sqlite+aiosqlite, postgresql/postgres/psycopg2/pg8000 to "
        "postgresql+asyncpg (psycopg2's `sslmode` query parameter to asyncpg's `ssl`), mysql/mariadb with "
        "pymysql/mysqldb/mysqlconnector to aiomysql, and keeps URLs that already name an async driver. "
        "The engine is converted together with its uses in the file (E107/E108): while one of them cannot be "
        "converted (engine-level `execute()`, a `dispose()` in a lambda, a connection handed on), the engine "
        "stays sync, with the list of those uses. `poolclass=QueuePool` becomes `AsyncAdaptedQueuePool`; `future=` and `autocommit=False` are dropped "
        "(SQLAlchemy 2 has neither); `**options` naming a dict literal (or `dict(...)`) of pool and echo settings is kept as it is; pool and echo settings and `connect_args` such as sqlite's "
        "`check_same_thread` (which aiosqlite accepts) stay. Left alone, with the reason: `autocommit=True`, "
        "`strategy=`, `SingletonThreadPool`, and `connect_args` that only the sync driver knows (`sslmode`, "
        "`connect_timeout`, `options`, ...: asyncpg spells them `ssl`, `timeout`, `server_settings`), , an "
        "engine stored on an attribute (`self.engine = create_engine(...)`), whose uses E107 does not follow, and "
        "a short-lived engine local to one function that neither returns, yields nor publishes it (a revision "
        "check on Alembic's MigrationContext, a script): it stays sync with the code that uses it."
    ),
)
SESSIONMAKER = Rule(
    code="E102", name="sync-sessionmaker", family="bootstrap",
    summary="`sessionmaker(...)` builds sync sessions",
    why=(
        "`async_sessionmaker` produces `AsyncSession`s. Objects used after `commit()` (e.g. `job.to_dict()`) "
        "would trigger implicit I/O when expired, so the async factory is created with `expire_on_commit=False`."
    ),
    before="SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)\n",
    after=(
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "\n"
        "SessionLocal = async_sessionmaker(engine, autoflush=False, expire_on_commit=False)\n"
    ),
    fixable=True,
    fix_notes=(
        "`bind=` becomes the first argument, `autocommit=False` goes, `expire_on_commit=False` is added "
        "unless given, everything else (`autoflush`, `info`, ...) stays. When this file is the module that "
        "`get-db` in [tool.sqlasync] names and it has no `get_db` yet, the async `get_db` dependency (see "
        "E105) is added after the factory, so the route handlers D101/D102 rewrite can import it. Left alone, "
        "with the reason: `scoped_session(sessionmaker(...))`, a custom `class_`, `autocommit=True`, `**options`, "
        "and a factory bound to an engine this module builds with a `create_engine()` E101 leaves (directly or "
        "through a function of the module that returns it): an `async_sessionmaker` cannot use a sync engine; likewise a factory stored on an attribute "
        "(`self.session_maker = sessionmaker(...)`). `sessionmaker` imported under that name from a module of the "
        "project (`from .core import sessionmaker`, a database module passing SQLAlchemy's on) counts as "
        "SQLAlchemy's at module level and in functions that are or become async."
    ),
)
DECLARATIVE_BASE = Rule(
    code="E103", name="declarative-base-function", family="bootstrap",
    summary="`declarative_base()` instead of a `DeclarativeBase` subclass",
    why="The 2.0 `DeclarativeBase` class supports typed `Mapped[...]` columns and the `AsyncAttrs` mixin "
        "needed to load relationships lazily under asyncio (`await obj.awaitable_attrs.rel`).",
    before="Base = declarative_base()\n",
    after="from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n",
    fixable=True,
    fix_notes=(
        "A module-level `Base = declarative_base(...)` becomes a class; `metadata=` and "
        "`type_annotation_map=` become class attributes and `cls=Mixin` a base class before "
        "`DeclarativeBase`. Legacy `Column(...)` models keep working on it unchanged. The `AsyncAttrs` mixin "
        "is added by F202 where lazily loaded relationships need `awaitable_attrs`. Both targets."
    ),
)
CREATE_ALL = Rule(
    code="E104", name="sync-create-all", family="bootstrap",
    summary="`Base.metadata.create_all(bind=engine)` / `drop_all` on a sync engine",
    why="`MetaData.create_all` is sync; on an `AsyncEngine` it must run through `AsyncConnection.run_sync`.",
    before="async def init_db():\n    Base.metadata.create_all(bind=engine)\n",
    after="async def init_db():\n    async with engine.begin() as conn:\n        await conn.run_sync(Base.metadata.create_all)\n",
    fixable=True,
    fix_notes=(
        "`create_all` and `drop_all` statements run through `conn.run_sync(...)` in `async with "
        "engine.begin() as conn:` (adjacent statements on one engine share the block; `checkfirst=` and "
        "other options are passed on). Module-level calls, and calls whose result is used, are left alone "
        "with the reason: schema creation at import time has to move into an async start-up function."
    ),
)
SYNC_GET_DB = Rule(
    code="E105", name="sync-get-db", family="bootstrap",
    summary="sync `get_db()` generator dependency",
    why=(
        "The dependency that hands sessions to request handlers must be an async generator yielding an "
        "`AsyncSession` that commits on success, rolls back on error and always closes."
    ),
    before="def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n",
    after=(
        "async def get_db():\n"
        "    async with SessionLocal() as db:\n"
        "        try:\n"
        "            yield db\n"
        "            await db.commit()\n"
        "        except Exception:\n"
        "            await db.rollback()\n"
        "            raise\n"
    ),
    fixable=True,
    fix_notes=(
        "The legacy dependency may open its session (`db = SessionLocal()` or `with SessionLocal() as db:`), "
        "yield it, and commit, roll back or close it in any try/except/finally arrangement; its name, "
        "parameters, decorators and docstring are kept and a `Generator[Session, None, None]` / "
        "`Iterator[Session]` return annotation becomes `AsyncGenerator[AsyncSession, None]` / "
        "`AsyncIterator[AsyncSession]`. A dependency that does anything else is left with the reason (its "
        "session calls too: they are part of this site). Committing on success is new behaviour for "
        "handlers that relied on uncommitted changes being discarded. A dependency whose factory is this "
        "module's `sessionmaker(...)` that E102 leaves stays sync, with that reason. A dependency that is left "
        "(it does more, a `@contextmanager` that threads and CLI commands enter) while E102 makes this module's "
        "factory async keeps a sync session: each `SessionLocal()` in it becomes "
        "`sync_session_from(SessionLocal)` (`sqlasync.compat`: a sync Session configured like the factory's, on "
        "the sync-driver twin of its engine), and what it yields stays a sync Session for its users: a function "
        "it is handed to stays sync (F107, async callers bridge it, F108), and I/O on it in this module stays "
        "sync with that reason (a user in another module that does I/O on it directly is refused by the "
        "post-condition: hand the session to a function instead)."
    ),
)
SYNC_ALEMBIC_ENV = Rule(
    code="E106", name="sync-alembic-env", family="bootstrap",
    summary="Alembic `env.py` runs migrations on a sync engine",
    why="Once the URL names an async driver, the sync `engine_from_config` env.py cannot connect; Alembic's "
        "async template runs the same migrations through `connection.run_sync(do_run_migrations)`.",
    before=(
        "from alembic import context\n"
        "from sqlalchemy import engine_from_config, pool\n"
        "\n"
        "config = context.config\n"
        "\n"
        "\n"
        "def run_migrations_online() -> None:\n"
        "    connectable = engine_from_config(\n"
        "        config.get_section(config.config_ini_section, {}),\n"
        "        prefix=\"sqlalchemy.\",\n"
        "        poolclass=pool.NullPool,\n"
        "    )\n"
        "    with connectable.connect() as connection:\n"
        "        context.configure(connection=connection, target_metadata=target_metadata)\n"
        "        with context.begin_transaction():\n"
        "            context.run_migrations()\n"
    ),
    after=(
        "import asyncio\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "\n"
        "from alembic import context\n"
        "from sqlalchemy import pool\n"
        "from sqlalchemy.engine import URL, make_url\n"
        "from sqlalchemy.ext.asyncio import async_engine_from_config\n"
        "\n"
        "\n"
        + async_url.SOURCE
        + "\n"
        "\n"
        "config = context.config\n"
        "\n"
        "\n"
        "def do_run_migrations(connection):\n"
        "    context.configure(connection=connection, target_metadata=target_metadata)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
        "\n"
        "\n"
        "async def run_async_migrations() -> None:\n"
        "    connectable = async_engine_from_config(\n"
        "        config.get_section(config.config_ini_section, {}),\n"
        "        prefix=\"sqlalchemy.\",\n"
        "        poolclass=pool.NullPool,\n"
        "        url=async_database_url(config.get_main_option(\"sqlalchemy.url\")),\n"
        "    )\n"
        "    async with connectable.connect() as connection:\n"
        "        await connection.run_sync(do_run_migrations)\n"
        "    await connectable.dispose()\n"
        "\n"
        "\n"
        "def run_migrations_online() -> None:\n"
        + textwrap.indent(alembic_env.ONLINE_BODY, "    ")
    ),
    fixable=True,
    fix_notes=(
        "The online-migration function keeps its name and runs `asyncio.run(run_async_migrations())` (on a "
        "worker thread when called from code that already runs an event loop, e.g. `command.upgrade(...)` "
        "in an async test or an application's start-up); the "
        "body of its `with connectable.connect() as connection:` block becomes `do_run_migrations(connection)` "
        "unchanged (every `context.configure(...)` argument, `render_as_batch` included), run through "
        "`await connection.run_sync(do_run_migrations)` on `async_engine_from_config(...)`, which is disposed "
        "afterwards. The URL Alembic reads (`sqlalchemy.url`, however env.py sets it) is passed through "
        "`async_database_url(...)` (see E101) at run time. Offline mode is untouched: it never connects. "
        "An env.py that does not follow this layout is left with the reason."
    ),
)

RULES = (CREATE_ENGINE, SESSIONMAKER, DECLARATIVE_BASE, CREATE_ALL, SYNC_GET_DB, SYNC_ALEMBIC_ENV, *ENGINE_CALL_RULES)


SYNC_TARGET = "the sync target keeps the sync engine, session factory and dependency as they are"
# psycopg2 / pymysql connect() arguments the async drivers do not take.
SYNC_ONLY_CONNECT_ARGS = frozenset(
    {"sslmode", "connect_timeout", "options", "application_name", "keepalives", "keepalives_idle",
     "keepalives_interval", "keepalives_count", "sslrootcert", "sslcert", "sslkey", "target_session_attrs",
     "cursorclass", "client_flag", "ssl_disabled", "read_timeout", "write_timeout"}
)
# Pool classes that only work on a sync engine, and their async counterparts (None: no counterpart).
SYNC_POOLS = {"QueuePool": "AsyncAdaptedQueuePool", "SingletonThreadPool": None, "AssertionPool": None}
# Engine options the rewrite must look at (or that have no async spelling): inside `**options` it cannot.
UNSHARED_ENGINE_OPTIONS = frozenset({"strategy", "convert_unicode", "encoding", "autocommit", "future", "poolclass",
                                     "connect_args", "creator", "module"})
DECLARATIVE_ATTRIBUTES = frozenset({"metadata", "type_annotation_map"})
CREATE_ALL_METHODS = ("create_all", "drop_all")


class BootstrapRecogniser(Recogniser):
    rules = {r.code: r for r in RULES}

    def __init__(self, context) -> None:
        super().__init__(context)
        # Alembic's env.py disposes of its own engine (E106's template); its calls are not E107 sites.
        self.engine_calls = None if self._alembic_env() else EngineCalls(self)
        self._checking_uses: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        evidence = self.evidence
        if evidence.callee_is(node, ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine"), ("create_engine",)):
            self._report("E101", node, "`create_engine()` builds a sync engine", self._engine_plan(node))
        elif evidence.callee_is(node, SYNC_FACTORIES - {"sqlalchemy.orm.scoped_session",
                                                         "sqlalchemy.orm.scoping.scoped_session"}, ("sessionmaker",)) \
                or self._reexported_sessionmaker(node):
            if not self._async_class(node):
                self._report("E102", node, "`sessionmaker()` builds sync sessions", self._sessionmaker_plan(node))
        elif evidence.callee_is(node, ("sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
                                       "sqlalchemy.orm.decl_api.declarative_base"), ("declarative_base",)):
            self._report("E103", node, "`declarative_base()` instead of a `DeclarativeBase` subclass",
                         self._declarative_plan(node))
        elif evidence.callee_is(node, ("sqlalchemy.engine_from_config", "sqlalchemy.engine.engine_from_config"),
                                ("engine_from_config",)) and self._alembic_env():
            plan = SYNC_TARGET if self.context.target == "sync" else plan_env(evidence, node)
            self._report("E106", node, "Alembic env.py builds a sync engine with `engine_from_config()`", plan)
        elif m.matches(node.func, m.Attribute(value=m.Attribute(attr=m.Name("metadata")),
                                              attr=m.Name("create_all") | m.Name("drop_all"))):
            if node.args:
                self._report("E104", node, f"`{dotted_name(node.func)}()` runs on a sync engine",
                             self._create_all_plan(node))
        elif self.engine_calls is not None:
            self.engine_calls.visit_call(node)

    def engine_fixable(self, call: cst.Call) -> bool:
        """Whether E101 makes this `create_engine(...)` an async engine."""
        return isinstance(self._engine_plan(call), EnginePlan)

    def report_plan(self, code: str, node: cst.CSTNode, message: str, plan: object) -> None:
        self._report(code, node, message, plan)

    def visit_Param(self, node: cst.Param) -> None:
        if self.engine_calls is not None and self.context.target == "async" and self.engine_calls.engine_parameter(node):
            self._report("E107", node.annotation.annotation,
                         f"`{node.name.value}` is the async engine once its function is async",
                         AsyncEngineAnnotation(node.annotation.annotation))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None or node.name.value not in self.context.config.get_db_names:
            return
        if _yields(node):
            plan = SYNC_TARGET if self.context.target == "sync" else plan_get_db(self.evidence, node)
            if isinstance(plan, GetDbPlan) and self._factory_stays_sync(plan.factory):
                plan = (f"its session factory `{dotted_name(plan.factory.func)}` stays sync (E102 leaves it), so "
                        "the dependency must stay sync too")
            self._report("E105", node.name, f"`{node.name.value}()` is a sync generator dependency", plan)
            if isinstance(plan, str) and self.context.target == "async":
                self._sync_sessions_from_async_factories(node)

    def _sync_sessions_from_async_factories(self, function: cst.FunctionDef) -> None:
        """A dependency left sync keeps its sync session I/O (its S101 sites are part of this one) even where
        E102 makes its factory async: each `SessionLocal()` it opens becomes `sync_session_from(SessionLocal)`,
        and what it yields stays a sync Session for its users (the repository index follows that)."""
        for call in m.findall(function.body, m.Call(func=m.Name())):
            if self.evidence.is_session_factory_call(call) is None or not self._factory_converts(call.func):
                continue
            self._report("E105", call, f"`{call.func.value}()` would open an AsyncSession once E102 converts the "
                         f"factory, in `{function.name.value}`, which stays sync", SyncSessionFrom(call))

    def _factory_converts(self, name: cst.Name) -> bool:
        """Whether `name` is bound, in this module, to a `sessionmaker(...)` that E102 makes async."""
        for assignment in _assignments(self.evidence, name):
            value = self.evidence.bound_value(assignment.node)
            if isinstance(value, cst.Call) and self.evidence.callee_is(value, SYNC_FACTORIES, ("sessionmaker",)) \
                    and not self._async_class(value) and isinstance(self._sessionmaker_plan(value), SessionmakerPlan):
                return True
        return False

    def _factory_stays_sync(self, opened: cst.Call) -> bool:
        """Whether the factory `opened` calls is this module's own `sessionmaker(...)` that E102 leaves."""
        if not isinstance(opened.func, cst.Name):
            return False
        for assignment in _assignments(self.evidence, opened.func):
            value = self.evidence.bound_value(assignment.node)
            if isinstance(value, cst.Call) and self.evidence.callee_is(value, SYNC_FACTORIES, ("sessionmaker",)) \
                    and not self._async_class(value) and isinstance(self._sessionmaker_plan(value), str):
                return True
        return False

    def _reexported_sessionmaker(self, call: cst.Call) -> bool:
        """`sessionmaker(...)` imported under that name from a module of the project (`from .core import
        sessionmaker`): a database module passing SQLAlchemy's factory on. Evidence by name only, as for
        the configured session names; the post-condition follows the import to SQLAlchemy's."""
        if not isinstance(call.func, cst.Name) or call.func.value != "sessionmaker":
            return False
        function = self.evidence.enclosing(call, cst.FunctionDef)
        # A sync function's factory would hand its sync code AsyncSessions. Which functions become async only
        # the run's coloring knows (it has the repository index); the prediction, which takes every function for
        # async, must leave the call and its import as they are, or the index would lose that import.
        if function is not None and (getattr(self.context.coloring, "index", None) is None
                                     or not self.context.will_be_async(function)):
            return False
        assignments = _assignments(self.evidence, call.func)
        return bool(assignments) and all(
            isinstance(a.node, cst.ImportFrom) and not isinstance(a.node.names, cst.ImportStar)
            and (a.node.relative or (dotted_name(a.node.module) or "").split(".")[0] != "sqlalchemy")
            and any(alias.evaluated_name == "sessionmaker" and alias.asname is None for alias in a.node.names)
            for a in assignments)

    def _alembic_env(self) -> bool:
        """Alembic's env.py, by name or by its `from alembic import context`."""
        return self.context.path.name == "env.py" or imports_from_alembic(self.context.module, "context")

    def _report(self, code: str, node: cst.CSTNode, message: str, plan: object) -> None:
        if isinstance(plan, str):
            self.report(code, node, message, reason=plan)
        else:
            self.report(code, node, message, fixable=True, data=plan)

    def _async_class(self, call: cst.Call) -> bool:
        class_arg = _keyword(call, "class_")
        if class_arg is None:
            return False
        return bool(self.evidence.qualified(class_arg.value) & ASYNC_SESSION_TYPES) or dotted_name(class_arg.value) == "AsyncSession"

    # -- E101 ---------------------------------------------------------------------------------
    def _engine_plan(self, call: cst.Call) -> EnginePlan | str:
        if self.context.target == "sync":
            return SYNC_TARGET
        stored = self._stored_on_attribute(call)
        if stored:
            return (f"the engine is stored on `{stored}`, whose uses (E107) are not followed; convert them "
                    "together by hand")
        local = self._local_engine(call)
        if local:
            return (f"a short-lived engine used only inside `{local}` (a health or revision check, a script): it "
                    "stays sync with the code that uses it there; convert the function by hand if it should run "
                    "on the event loop")
        positional = [a for a in call.args if a.keyword is None and not a.star]
        url = positional[0] if positional else _keyword(call, "url")
        if url is None or any(a.star == "*" for a in call.args):
            return "the URL is not passed as the first argument; convert by hand"
        for options in (a for a in call.args if a.star == "**"):
            keys = self._dict_keys(options.value)
            if keys is None:
                return "`**options` may hold settings only the sync driver knows; convert by hand"
            if keys & UNSHARED_ENGINE_OPTIONS:
                return (f"`**options` sets {sorted(keys & UNSHARED_ENGINE_OPTIONS)}, which the async engine "
                        "spells differently or does not have; convert by hand")
        literal = None
        text = string_value(url.value)
        if text is not None:
            literal = literal_async_url(text)
            if literal is None:
                return f"no async driver is known for {text.partition(':')[0]!r} URLs; choose one by hand"
        for argument in call.args:
            name = argument.keyword.value if argument.keyword else None
            if name in ("strategy", "convert_unicode", "encoding") or (name == "autocommit" and not _is_false(argument)):
                return f"`{name}=` has no async equivalent; remove it by hand (SQLAlchemy 2 has no such option)"
        pool = _keyword(call, "poolclass")
        if pool is not None:
            last = (dotted_name(pool.value) or "").split(".")[-1]
            if last in SYNC_POOLS and SYNC_POOLS[last] is None:
                return f"`poolclass={last}` cannot serve an async engine; choose a pool by hand"
            if last not in SYNC_POOLS:
                pool = None
        keys = self._connect_arg_keys(_keyword(call, "connect_args"))
        if keys & SYNC_ONLY_CONNECT_ARGS:
            return (f"connect_args {sorted(keys & SYNC_ONLY_CONNECT_ARGS)} belong to the sync driver; give the "
                    "async driver its own (asyncpg: ssl, timeout, server_settings) by hand")
        left = self._engine_uses_left(call)
        if left:
            return (f"{len(left)} use(s) of the engine stay sync ({', '.join(left[:3])}{', ...' if len(left) > 3 else ''}"
                    "; see E107): the engine is converted together with them, once they are converted by hand")
        return EnginePlan(call, url, literal, pool)

    def _engine_uses_left(self, call: cst.Call) -> list[str]:
        """The uses in this file of the module-level name `call` is bound to that E107/E108 leave sync."""
        assign = self.evidence.parent(call)
        if self.engine_calls is None or not (isinstance(assign, cst.Assign) and assign.value is call
                                             and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)):
            return []
        if id(call) in self._checking_uses:
            return []  # a use's plan asks whether this engine becomes async: assume it does while deciding
        self._checking_uses.add(id(call))
        try:
            return self.engine_calls.uses_left(assign.targets[0].target)
        finally:
            self._checking_uses.discard(id(call))

    def _dict_keys(self, value: cst.BaseExpression) -> set[str] | None:
        """The keys of a `**options` argument that names a dict literal (or `dict(...)`) bound where it is
        visible; None when any binding is something else or a key is not a plain string."""
        if not isinstance(value, cst.Name):
            return None
        bound = [self.evidence.bound_value(a.node) for a in _assignments(self.evidence, value)]
        keys: set[str] = set()
        for found in bound:
            if isinstance(found, cst.Dict) and all(isinstance(e, cst.DictElement) and string_value(e.key)
                                                   for e in found.elements):
                keys |= {string_value(e.key) for e in found.elements}
            elif isinstance(found, cst.Call) and dotted_name(found.func) == "dict" and all(a.keyword for a in found.args):
                keys |= {a.keyword.value for a in found.args}
            else:
                return None
        return keys if bound else None

    def _connect_arg_keys(self, argument: cst.Arg | None) -> set[str]:
        """The keys of `connect_args`, followed through one module-level name (`connect_args=_args`)."""
        if argument is None:
            return set()
        value = argument.value
        if isinstance(value, cst.Name):
            bound = [self.evidence.bound_value(a.node) for a in _assignments(self.evidence, value)]
            values = [v for v in bound if v is not None]
        else:
            values = [value]
        keys: set[str] = set()
        for found in values:
            for dictionary in m.findall(found, m.Dict()):
                keys |= {string_value(e.key) or "" for e in dictionary.elements if isinstance(e, cst.DictElement)}
            for call in m.findall(found, m.Call(func=m.Name("dict"))):
                keys |= {a.keyword.value for a in call.args if a.keyword}
        return keys

    # -- E102 ---------------------------------------------------------------------------------
    def _sessionmaker_plan(self, call: cst.Call) -> SessionmakerPlan | str:
        if self.context.target == "sync":
            return SYNC_TARGET
        outer = self.evidence.parent(self.evidence.parent(call))
        if isinstance(outer, cst.Call) and (dotted_name(outer.func) or "").endswith("scoped_session"):
            return ("`scoped_session` needs a scope function under asyncio: use `async_scoped_session(factory, "
                    "scopefunc=asyncio.current_task)` by hand, or better a session per request")
        for argument in call.args:
            name = argument.keyword.value if argument.keyword else None
            if name == "autocommit" and not _is_false(argument):
                return "`autocommit=True` sessions do not exist in SQLAlchemy 2; convert by hand"
            if name == "class_":
                return "a custom session class must derive from AsyncSession first; convert by hand"
            if argument.star:
                return "`**options` may hold sync-only settings; convert by hand"
        stored = self._stored_on_attribute(call)
        if stored:
            return (f"the factory is stored on `{stored}`, whose sessions are not followed; convert it together "
                    "with their uses by hand")
        engine = self._sync_engine_bound(call)
        if engine is not None:
            return (f"it binds `{engine}`, which stays a sync engine (E101 leaves its `create_engine()`): an "
                    "async_sessionmaker cannot use it; convert the engine first")
        return SessionmakerPlan(call, self._missing_get_db(call))

    def _local_engine(self, call: cst.Call) -> str | None:
        """The function's name when `call` builds an engine into a local name the function neither returns,
        yields nor declares global, or hands it straight to another call: nothing outside it sees that engine."""
        assign = self.evidence.parent(call)
        function = self.evidence.enclosing(call, cst.FunctionDef)
        if function is not None and isinstance(assign, cst.Arg):
            return function.name.value  # `sessionmaker(bind=create_engine(url))()`: only that call sees it
        if function is None or not (isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1
                                    and isinstance(assign.targets[0].target, cst.Name)):
            return None
        name = assign.targets[0].target.value
        declared_global = m.findall(function, m.Global(names=[m.ZeroOrMore(), m.NameItem(m.Name(name)), m.ZeroOrMore()]))
        # `return engine`, `return factory, engine`, `yield {"engine": engine}`: the caller gets it.
        handed_out = [node for node in m.findall(function, m.Return() | m.Yield())
                      if node.value is not None and m.findall(node.value, m.Name(name))]
        return None if handed_out or declared_global else function.name.value

    def _stored_on_attribute(self, call: cst.Call) -> str | None:
        """`self.engine` in `self.engine = create_engine(...)`: the code that uses an attribute is not followed."""
        assign = self.evidence.parent(call)
        if isinstance(assign, (cst.Assign, cst.AnnAssign)) and assign.value is call:
            targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            attribute = next((t for t in targets if isinstance(t, cst.Attribute)), None)
            if attribute is not None:
                return dotted_name(attribute) or cst.Module([]).code_for_node(attribute)
        return None

    def _sync_engine_bound(self, call: cst.Call) -> str | None:
        """The name of the engine `call` binds when this module builds it with a `create_engine()` that E101
        leaves sync (directly, or returned by a function of the module)."""
        positional = [a for a in call.args if a.keyword is None and not a.star]
        bind = _keyword(call, "bind") or (positional[0] if positional else None)
        if bind is None or not isinstance(bind.value, cst.Name):
            return None
        for assignment in _assignments(self.evidence, bind.value):
            value = self.evidence.bound_value(assignment.node)
            if isinstance(value, cst.Call) and any(isinstance(self._engine_plan(built), str)
                                                   for built in self._engines_built_by(value)):
                return bind.value.value
        return None

    def _engines_built_by(self, call: cst.Call) -> list[cst.Call]:
        """`call` itself when it is `create_engine(...)`; the `create_engine(...)` calls a module-level
        function returns, when `call` calls one."""
        names = ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine")
        if self.evidence.callee_is(call, names, ("create_engine",)):
            return [call]
        if not isinstance(call.func, cst.Name):
            return []
        functions = [s for s in self.context.module.body if isinstance(s, cst.FunctionDef) and s.name.value == call.func.value]
        returned = [r.value for f in functions for r in m.findall(f, m.Return()) if isinstance(r.value, cst.Call)]
        return [r for r in returned if self.evidence.callee_is(r, names, ("create_engine",))]

    def _missing_get_db(self, call: cst.Call) -> MissingGetDb | None:
        """When this file is the module `get-db` names and has no get_db yet, the factory's statement."""
        configured = self.context.config.get_db
        if not configured or not _is_module(self.context.path, configured.partition(":")[0] if ":" in configured
                                            else configured.rpartition(".")[0]):
            return None
        name = configured.partition(":")[2] if ":" in configured else configured.rpartition(".")[2]
        if any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in self.context.module.body):
            return None
        assign = self.evidence.parent(call)
        statement = self.evidence.parent(assign)
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
                and statement in self.context.module.body):
            return None
        return MissingGetDb(statement, name, assign.targets[0].target.value)

    # -- E103 ---------------------------------------------------------------------------------
    def _declarative_plan(self, call: cst.Call) -> DeclarativePlan | str:
        assign = self.evidence.parent(call)
        statement = self.evidence.parent(assign)
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
                and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
                and self.evidence.parent(statement) is self.context.module):
            return "not a module-level `Base = declarative_base(...)` statement; convert by hand"
        attributes = []
        mixins = []
        for argument in call.args:
            name = argument.keyword.value if argument.keyword else None
            if name in DECLARATIVE_ATTRIBUTES:
                attributes.append(argument)
            elif name == "cls":
                mixins.append(argument.value)
            else:
                return f"`declarative_base({name or '...'}=...)` has no direct `DeclarativeBase` spelling; convert by hand"
        return DeclarativePlan(statement, assign.targets[0].target.value, tuple(attributes), tuple(mixins))

    # -- E104 ---------------------------------------------------------------------------------
    def _create_all_plan(self, call: cst.Call) -> CreateAllPlan | str:
        if self.context.target == "sync":
            return SYNC_TARGET
        expression = self.evidence.parent(call)
        statement = self.evidence.parent(expression) if isinstance(expression, cst.Expr) else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return "its result is used; convert by hand"
        positional = [a for a in call.args if a.keyword is None]
        bind = positional[0] if positional else _keyword(call, "bind")
        if bind is None or not isinstance(bind.value, (cst.Name, cst.Attribute)):
            return "the engine is not a plain name; convert by hand"
        problem = await_problem(self.context, statement)
        if problem:
            return problem
        function = self.evidence.enclosing(statement, cst.FunctionDef)
        taken = {n.value for n in m.findall(function, m.Name())}
        connection = next(n for n in ("conn", "connection", "async_conn") if n not in taken)
        code = cst.Module([]).code_for_node
        options = tuple(a for a in call.args if a is not bind)
        return CreateAllPlan(statement, code(bind.value), code(call.func), options, connection)


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword and a.keyword.value == name), None)


def _is_false(argument: cst.Arg) -> bool:
    return isinstance(argument.value, cst.Name) and argument.value.value == "False"


def _assignments(evidence, name: cst.Name) -> list[Assignment]:
    scope = metadata_value(evidence.scopes, name)
    if scope is None or name.value not in scope:
        return []
    return [a for a in scope[name.value] if isinstance(a, Assignment)]


def _is_module(path: PurePosixPath, module: str) -> bool:
    """Whether `path` is the source file of the dotted `module`."""
    parts = module.split(".")
    as_file = (*parts[:-1], parts[-1] + ".py")
    as_package = (*parts, "__init__.py")
    return path.parts[-len(as_file):] == as_file or path.parts[-len(as_package):] == as_package


FAMILY = Family(
    prefix="E",
    name="bootstrap",
    rules=RULES,
    recogniser=BootstrapRecogniser,
    triggers=lambda config: (
        (rb"create_engine|sessionmaker|declarative_base|engine_from_config|\.create_all\s*\(",),
        (rb"create_async_engine",),
        (rb"\b(?:" + words(config.engine_names) + rb")\s*\.\s*(?:dispose|connect|begin|raw_connection|execute|scalar|"
         rb"table_names|has_table|run_callable|transaction)\s*\(",),
        (rb"\binspect\s*\(", words(config.engine_names)),
        (rb"\bdef\s+(?:" + words(config.get_db_names) + rb")\b", rb"\byield\b"),
    ),
    rewrite=rewrite,
)
