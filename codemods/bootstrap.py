"""E: engine and bootstrap code — engines, session factories, declarative base, schema creation,
the `get_db` dependency and Alembic's env.py."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from .evidence import ASYNC_SESSION_TYPES, SYNC_FACTORIES, dotted_name
from .family import NO_REWRITE_YET, Family, Recogniser, words
from .rule import Rule

CREATE_ENGINE = Rule(
    code="E101", name="sync-create-engine", family="bootstrap",
    summary="`create_engine(...)` builds a sync engine",
    why=(
        "Async sessions need an `AsyncEngine` from `create_async_engine()` with an async driver in the URL "
        "(`sqlite+aiosqlite`, `postgresql+asyncpg`, `mysql+aiomysql`). SQLAlchemy 2.1 reads a bare "
        "`postgresql://` as psycopg 3, so the driver must always be spelled out."
    ),
    before='engine = create_engine(DATABASE_URL, pool_pre_ping=True)\n',
    after='engine = create_async_engine(to_async_url(DATABASE_URL), pool_pre_ping=True)\n',
)
SESSIONMAKER = Rule(
    code="E102", name="sync-sessionmaker", family="bootstrap",
    summary="`sessionmaker(...)` builds sync sessions",
    why=(
        "`async_sessionmaker` produces `AsyncSession`s. Objects used after `commit()` (e.g. `job.to_dict()`) "
        "would trigger implicit I/O when expired, so the async factory is created with `expire_on_commit=False`."
    ),
    before="SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)\n",
    after="SessionLocal = async_sessionmaker(engine, autoflush=False, expire_on_commit=False)\n",
)
DECLARATIVE_BASE = Rule(
    code="E103", name="declarative-base-function", family="bootstrap",
    summary="`declarative_base()` instead of a `DeclarativeBase` subclass",
    why="The 2.0 `DeclarativeBase` class supports typed `Mapped[...]` columns and the `AsyncAttrs` mixin "
        "needed to load relationships lazily under asyncio (`await obj.awaitable_attrs.rel`).",
    before="Base = declarative_base()\n",
    after="class Base(AsyncAttrs, DeclarativeBase):\n    pass\n",
)
CREATE_ALL = Rule(
    code="E104", name="sync-create-all", family="bootstrap",
    summary="`Base.metadata.create_all(bind=engine)` on a sync engine",
    why="`MetaData.create_all` is sync; on an `AsyncEngine` it must run through `AsyncConnection.run_sync`.",
    before="def init_db():\n    Base.metadata.create_all(bind=engine)\n",
    after="async def init_db():\n    async with engine.begin() as conn:\n        await conn.run_sync(Base.metadata.create_all)\n",
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
)
SYNC_ALEMBIC_ENV = Rule(
    code="E106", name="sync-alembic-env", family="bootstrap",
    summary="Alembic `env.py` runs migrations on a sync engine",
    why="Once the URL names an async driver, the sync `engine_from_config` env.py cannot connect; Alembic's "
        "async template runs the same migrations through `connection.run_sync(do_run_migrations)`.",
    before="connectable = engine_from_config(config.get_section(config.config_ini_section), prefix=\"sqlalchemy.\")\n",
    after="connectable = async_engine_from_config(config.get_section(config.config_ini_section), prefix=\"sqlalchemy.\")\n",
)

RULES = (CREATE_ENGINE, SESSIONMAKER, DECLARATIVE_BASE, CREATE_ALL, SYNC_GET_DB, SYNC_ALEMBIC_ENV)


class BootstrapRecogniser(Recogniser):
    rules = {r.code: r for r in RULES}

    def visit_Call(self, node: cst.Call) -> None:
        evidence = self.evidence
        if evidence.callee_is(node, ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine"), ("create_engine",)):
            self.report("E101", node, "`create_engine()` builds a sync engine", reason=NO_REWRITE_YET)
        elif evidence.callee_is(node, SYNC_FACTORIES - {"sqlalchemy.orm.scoped_session",
                                                         "sqlalchemy.orm.scoping.scoped_session"}, ("sessionmaker",)):
            if not self._async_class(node):
                self.report("E102", node, "`sessionmaker()` builds sync sessions", reason=NO_REWRITE_YET)
        elif evidence.callee_is(node, ("sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
                                       "sqlalchemy.orm.decl_api.declarative_base"), ("declarative_base",)):
            self.report("E103", node, "`declarative_base()` instead of a `DeclarativeBase` subclass", reason=NO_REWRITE_YET)
        elif evidence.callee_is(node, ("sqlalchemy.engine_from_config", "sqlalchemy.engine.engine_from_config"),
                                ("engine_from_config",)) and self.context.path.name == "env.py":
            self.report("E106", node, "Alembic env.py builds a sync engine with `engine_from_config()`",
                        reason=NO_REWRITE_YET)
        elif m.matches(node.func, m.Attribute(value=m.Attribute(attr=m.Name("metadata")), attr=m.Name("create_all"))):
            if node.args:
                self.report("E104", node, f"`{dotted_name(node.func)}()` runs on a sync engine", reason=NO_REWRITE_YET)

    def _async_class(self, call: cst.Call) -> bool:
        class_arg = next((a for a in call.args if a.keyword and a.keyword.value == "class_"), None)
        if class_arg is None:
            return False
        return bool(self.evidence.qualified(class_arg.value) & ASYNC_SESSION_TYPES) or dotted_name(class_arg.value) == "AsyncSession"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None or node.name.value not in self.context.config.get_db_names:
            return
        if _yields(node):
            self.report("E105", node.name, f"`{node.name.value}()` is a sync generator dependency", reason=NO_REWRITE_YET)


def _yields(function: cst.FunctionDef) -> bool:
    """Whether the function's own body (not nested functions) yields."""
    class Finder(cst.CSTVisitor):
        found = False

        def visit_Yield(self, node: cst.Yield) -> None:
            self.found = True

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    finder = Finder()
    function.visit(finder)
    return finder.found


FAMILY = Family(
    prefix="E",
    name="bootstrap",
    rules=RULES,
    recogniser=BootstrapRecogniser,
    triggers=lambda config: (
        (rb"create_engine|sessionmaker|declarative_base|engine_from_config|\.create_all\s*\(",),
        (rb"\bdef\s+(?:" + words(config.get_db_names) + rb")\b", rb"\byield\b"),
    ),
)
