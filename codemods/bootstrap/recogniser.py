"""E: engine and bootstrap code — engines, session factories, declarative base, schema creation,
the `get_db` dependency and Alembic's env.py."""

from __future__ import annotations


import libcst as cst
import libcst.matchers as m

from .alembic_env import plan_env
from ..core.await_sites import await_problem
from .plan import CreateAllPlan, DeclarativePlan, EnginePlan, SessionmakerPlan, SyncSessionFrom
from .rewrite import rewrite
from .engine_calls import EngineCalls
from .engine_calls_plan import AsyncEngineAnnotation
from ..core.nodes import dotted_name
from ..core.receivers import ASYNC_SESSION_TYPES, SYNC_FACTORIES
from ..core.family import Family, Recogniser, words
from ..core.functions import _yields
from .get_db_template import GetDbPlan, plan_get_db
from .engine_options import DECLARATIVE_ATTRIBUTES, SYNC_TARGET, _assignments, _keyword
from .engines import _EnginesAndFactories
from .rules import RULES


class BootstrapRecogniser(_EnginesAndFactories, Recogniser):
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
        return self.context.path.name == "env.py" or self.evidence.imports_from_alembic("context")

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
