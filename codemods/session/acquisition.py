"""D: how code gets hold of a session — by hand, from a service locator, or by draining `get_db()`."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from .acquisition_rules import BY_HAND, CONTAINER_RESOLVE, NEXT_GET_DB, REGISTER_FACTORY
from .acquisition_plan import CORRECT_AS_IS, Opener, ToAsyncWith, ToBlock, ToParameter, Unregister
from .acquisition_rewrite import rewrite
from ..core.await_sites import await_problem
from ..core.functions import qualname_of
from ..core.nodes import dotted_name, metadata_value, string_value
from ..core.receivers import Kind
from ..core.family import Family, Recogniser, words
from .fixture_adoption import SyncQuery, adopted_handout, query_receivers, sync_face_params, sync_face_plan
from .fixture_sessions import HANDED_OUT_BY_FIXTURE, FixtureHandout, handout_plan, users
from .routes import is_route_handler
from .scope import Binding, binding_of, block_span
from ..core.session_sources import Source, get_db_source, session_factory_source

SYNC_SESSION_CLASSES = frozenset({"sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session",
                                  "sqlmodel.Session", "sqlmodel.orm.session.Session"})


class AcquisitionRecogniser(Recogniser):
    rules = {r.code: r for r in (BY_HAND, CONTAINER_RESOLVE, NEXT_GET_DB, REGISTER_FACTORY, HANDED_OUT_BY_FIXTURE)}

    def __init__(self, context) -> None:
        super().__init__(context)
        # (function name, receiver) of `session.query(...)` in async users of adopted sessions (SyncQuery).
        self.sync_queries: list[tuple[str, cst.Name]] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("resolve", "register_factory") and node.args:
            key = string_value(node.args[0].value)
            if key in self.context.config.container_session_keys:
                if func.attr.value == "resolve":
                    self._report("D102", node, f'`{dotted_name(func) or "resolve"}("{key}")` hands out a session '
                                 "nobody closes", self.acquisition_plan("D102", node))
                else:
                    self._report("D104", node, f'`{dotted_name(func) or "register_factory"}("{key}")` registers a '
                                 "leaking session factory", self._unregister_plan(node))
            return
        if dotted_name(func) == "next" and node.args and isinstance(node.args[0].value, cst.Call):
            inner = dotted_name(node.args[0].value.func)
            if inner and inner.split(".")[-1] in self.context.config.get_db_names:
                self._report("D103", node, f"`next({inner}())` never closes the session",
                             self.acquisition_plan("D103", node))
            return
        registry = self.evidence.scoped_registry(node)
        if registry is not None:
            if self.context.target == "async":
                self._adopt(node, registry)
            return
        kind = self.evidence.is_session_factory_call(node)
        if kind is not Kind.SYNC_SESSION or self._inside_get_db_generator(node) or self._registered_factory(node):
            return
        if self.context.target == "async":
            handout = handout_plan(self.evidence, node, "session", rename=self._renamed_session_call(node))
            if handout is not None:
                self._report("D105", node, f"fixture hands out the session `{dotted_name(func) or 'Session'}()` "
                             "opens, which its async users need opened and closed on their event loop",
                             self._fixture_plan(handout))
                return
        plan = self.acquisition_plan("D101", node)
        if plan is not CORRECT_AS_IS:
            self._report("D101", node, f"`{dotted_name(func) or 'session factory'}()` creates a session by hand", plan)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """A sync test or fixture that receives an adopted session from a fixture (D105) uses its sync face."""
        coloring = self.context.coloring
        if self.context.target != "async" or getattr(coloring, "index", None) is None:
            return
        function = (str(self.context.path), qualname_of(node, self.evidence.parents))
        for param in node.params.params:
            if param.name.value in sync_face_params(coloring, function, asynchronous=True):
                self.sync_queries += [(node.name.value, receiver)
                                      for receiver in query_receivers(self.evidence, node, param)]
        adopted = sync_face_params(coloring, function)
        for param in node.params.params:
            plan = sync_face_plan(self.evidence, node, param) if param.name.value in adopted else None
            if plan is not None:
                self._report("D105", param.name, f"`{node.name.value}` stays sync and receives the AsyncSession "
                             f"fixture `{plan.name}` now hands out; it uses the sync session under it", plan)

    def leave_Module(self, original_node: cst.Module) -> None:
        """`session.query(...)` in an async user of an adopted session, unless Q101 (an earlier family) converts it."""
        for function, receiver in self.sync_queries:
            call = self.evidence.parent(self.evidence.parent(receiver))
            if not self.context.fixed_earlier(call, self):
                self._report("D105", call, f"`{receiver.value}.query(...)` stays a legacy query in async `{function}` "
                             f"(Q101 leaves it), and `{receiver.value}` is an AsyncSession, which has no `query`: it "
                             "runs on the sync session under it", SyncQuery(receiver))

    def _adopt(self, call: cst.Call, registry: str) -> None:
        """A fixture handing out a session of a `scoped_session` registry, which stays sync: its async users get it
        through `compat.adopt_session()`."""
        plan = adopted_handout(self.evidence, call, self._users_async)
        if plan is not None:
            self._report("D105", call, f"fixture hands out a session of the sync `scoped_session` registry "
                         f"`{registry}`, which its async users need as an AsyncSession", plan)

    def _users_async(self, fixture: cst.FunctionDef) -> bool | None:
        """Does any test or fixture requesting `fixture` become async? None before the run's coloring is solved
        (the prediction takes every function for async)."""
        index = getattr(self.context.coloring, "index", None)
        if index is None:
            return None
        reference = (str(self.context.path), qualname_of(fixture, self.evidence.parents))
        if index.function(reference) is None:
            return None
        return any(self.context.coloring.async_after(user) for user in users(index, reference))

    def _report(self, code: str, node: cst.CSTNode, message: str, plan: object) -> None:
        if isinstance(plan, str):
            self.report(code, node, message, reason=plan)
        else:
            self.report(code, node, message, fixable=True, data=plan)

    # -- plans --------------------------------------------------------------------------------
    def acquisition_plan(self, code: str, call: cst.Call) -> object:
        asynchronous = self.context.target == "async"
        item = self.evidence.parent(call)
        if code == "D101" and isinstance(item, cst.WithItem):
            statement = self.evidence.parent(item)
            if not asynchronous or (isinstance(statement, cst.With) and statement.asynchronous is not None):
                return CORRECT_AS_IS
            return self._with_plan(call, item)
        binding = binding_of(self.evidence, call)
        if isinstance(binding, str):
            return binding
        if self._handler_level(binding):
            get_db = self._get_db(code, call)
            if get_db is not None:
                return ToParameter(binding, get_db)
        opener = self._opener(code, call)
        if isinstance(opener, str):
            return opener
        problem = await_problem(self.context, binding.statement) if asynchronous else None
        if problem:
            return problem
        span = block_span(self.evidence, binding)
        if isinstance(span, str):
            return span
        return ToBlock(binding, span.last, opener)

    def _fixture_plan(self, handout: FixtureHandout | str) -> FixtureHandout | str:
        if isinstance(handout, str):
            return handout
        # The `async with` makes the fixture async, so it needs what makes any function async (F101/F104),
        # and the solver keeps it sync while one of its users must stay sync (fixture_sessions.chain_reason).
        problem = await_problem(self.context, handout.fixture.body.body[handout.start])
        return problem or handout

    def _with_plan(self, call: cst.Call, item: cst.WithItem) -> object:
        statement = self.evidence.parent(item)
        if not isinstance(statement, cst.With) or len(statement.items) != 1:
            return "the session shares a `with` statement with other context managers; convert by hand"
        problem = await_problem(self.context, statement)
        if problem:
            return problem
        return ToAsyncWith(statement, self._renamed_session_call(call))

    def _handler_level(self, binding: Binding) -> bool:
        """Bound directly in a route handler's body (or the `try` that makes up that body), and free to
        become a parameter of that name."""
        function = binding.function
        if binding.rebound or not is_route_handler(self.evidence, function):
            return False
        if any(param.name.value == binding.name for param in _all_params(function.params)):
            return False
        owner = self.evidence.parent(binding.block)
        return binding.block is function.body or (
            isinstance(owner, cst.Try) and self.evidence.parent(owner) is function.body)

    def _get_db(self, code: str, call: cst.Call) -> Source | None:
        if code == "D103":
            return Source(dotted_name(call.args[0].value.func) or "get_db")
        return get_db_source(self.context.module, self.context.config)

    def _opener(self, code: str, call: cst.Call) -> Opener | str:
        if code == "D101":
            return Opener(call, rename=self._renamed_session_call(call))
        if code == "D103":
            return Opener(call.args[0].value, context=True)
        factory = session_factory_source(self.context.module, self.context.config)
        if factory is None:
            return ("no session factory is known to open `async with SessionLocal() as db:` here; set "
                    "session-factory = \"package.module:SessionLocal\" (and get-db for route handlers) in "
                    "[tool.sqlasync]")
        return Opener(call, factory=factory)

    def _renamed_session_call(self, call: cst.Call) -> bool:
        """`Session(engine)` opens an `AsyncSession(engine)` under the async target."""
        return self.context.target == "async" and bool(self.evidence.qualified(call.func) & SYNC_SESSION_CLASSES)

    def _unregister_plan(self, call: cst.Call) -> Unregister | str:
        expression = self.evidence.parent(call)
        statement = self.evidence.parent(expression) if isinstance(expression, cst.Expr) else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return "the registration is part of a larger expression or line; remove it by hand"
        key = string_value(call.args[0].value)
        if key in (self.context.config.held_container_keys or ()):
            return (f'`resolve("{key}")` calls that stay as they are (in files outside this run, or left by D102 '
                    "with a reason) still need this registration: removing it would break them at run time; "
                    "remove it once they are converted")
        get_db = get_db_source(self.context.module, self.context.config)
        where = f" from {get_db.where}" if get_db is not None and get_db.needs is not None else ""
        return Unregister(statement, (
            f"Database sessions no longer come from the Container: request handlers take `db: AsyncSession = "
            f"Depends(get_db)`{where}, other code opens `async with SessionLocal() as db:`.")
            if self.context.target == "async" else (
            f"Database sessions no longer come from the Container: request handlers take `db: Session = "
            f"Depends(get_db)`{where}, other code opens `with SessionLocal() as db:`."))

    def _registered_factory(self, node: cst.CSTNode) -> bool:
        """`register_factory("db_session", lambda: SessionLocal())` is one D104 site, not a D101 too."""
        current = self.evidence.parent(node)
        while current is not None:
            if isinstance(current, cst.Call) and m.matches(current.func, m.Attribute(attr=m.Name("register_factory"))):
                return bool(current.args) and string_value(current.args[0].value) in self.context.config.container_session_keys
            current = self.evidence.parent(current)
        return False

    def _inside_get_db_generator(self, node: cst.CSTNode) -> bool:
        """The factory call inside a sync `get_db` generator is E105's to convert, not a separate site."""
        function = self.evidence.enclosing(node, cst.FunctionDef)
        return (function is not None and function.asynchronous is None
                and function.name.value in self.context.config.get_db_names)


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    double = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *double]


FAMILY = Family(
    prefix="D",
    name="acquisition",
    rules=(BY_HAND, CONTAINER_RESOLVE, NEXT_GET_DB, REGISTER_FACTORY, HANDED_OUT_BY_FIXTURE),
    recogniser=AcquisitionRecogniser,
    triggers=lambda config: (
        (rb"\b(?:" + words(config.session_factories) + rb")\s*\(",),
        (rb"\bSession\s*\(",),
        (rb"sessionmaker",),
        (rb"\.(?:resolve|register_factory)\s*\(", words(config.container_session_keys)),
        (rb"\bnext\s*\(", words(config.get_db_names)),
    ),
    rewrite=rewrite,
)


def closed_by_acquisition_block(context, close: cst.Call) -> bool:
    """`db.close()` on a session bound once from `SessionLocal()` whose D101 block will own it: the rewrite
    drops the call, so S101 must not count it as an await to write (check counts what migrate changes)."""
    receiver = close.func.value
    if not isinstance(receiver, cst.Name) or close.args:
        return False
    evidence = context.evidence
    scope = metadata_value(evidence.scopes, receiver)
    assignments = list(scope.assignments[receiver.value]) if scope is not None else []
    if len(assignments) != 1:
        return False
    value = evidence.bound_value(assignments[0].node)
    if not isinstance(value, cst.Call) or evidence.is_session_factory_call(value) is not Kind.SYNC_SESSION:
        return False
    recogniser = AcquisitionRecogniser(context)
    if recogniser._inside_get_db_generator(value) or recogniser._registered_factory(value):
        return False  # E105 / D104 own those sessions, not a D101 block
    return isinstance(recogniser.acquisition_plan("D101", value), ToBlock)
