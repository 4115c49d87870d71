"""D105 (and E107's connection fixtures): a pytest fixture that hands out a session or connection it opens.

`yield SessionLocal()`, `return SessionLocal()`, `session = SessionLocal(); yield session; session.close()`
and `with SessionLocal() as session: yield session` hand their users a session the fixture opened. Once
the factory is async, the users are async tests running on an event loop: a session opened by a sync
fixture belongs to no loop the fixture controls, and is never closed. The fixture must become async and
own what it hands out, `async with SessionLocal() as session: yield session`, so it opens and closes the
session on the loop its users run on (for a wider scope, a loop that lives as long as the fixture).

`handout_plan` recognises the shape at one acquisition call (the D and E recognisers ask it before their
own plans); `chain_reason` is the solver's side: the fixture becomes async only together with its users;
`loop_scope` tells pytest-asyncio which loop a test or fixture must share with the fixtures it requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from ..index.facts import FIXTURE_DECORATORS
from ..core.nodes import dotted_name, metadata_value
from ..core.rule import Rule

# AsyncConnection methods that return coroutines (its results are buffered: `.scalar()`, `.all()` stay sync).
CONNECTION_IO = frozenset({"execute", "scalar", "scalars", "exec_driver_sql", "commit", "rollback", "run_sync",
                           "close", "invalidate", "get_raw_connection"})
# Narrowest first: a fixture may only request fixtures at least as wide as itself.
FIXTURE_SCOPES = ("function", "class", "module", "package", "session")

HANDED_OUT_BY_FIXTURE = Rule(
    code="D105",
    name="session-handed-out-by-fixture",
    family="acquisition",
    summary="pytest fixture that hands out a session it opens (`yield SessionLocal()`, `return SessionLocal()`)",
    why=(
        "The tests that use the fixture become async tests, each on an event loop anyio or pytest-asyncio runs. "
        "A session opened by a sync fixture belongs to none of them: its connection stays bound to the loop of "
        "the first test that used it, so later tests fail (\"attached to a different loop\", \"another "
        "operation is in progress\", `PendingRollbackError`), and it is never closed. An async fixture that "
        "opens the session in `async with` and yields it runs on the loop of its users and closes the session "
        "there; a wider-scoped one keeps its loop alive as long as the session."
    ),
    before=(
        "import pytest\n"
        "\n"
        "from app.database import SessionLocal\n"
        "\n"
        "\n"
        "@pytest.fixture(scope=\"session\")\n"
        "async def db(anyio_backend):\n"
        "    return SessionLocal()\n"
    ),
    after=(
        "import pytest\n"
        "\n"
        "from app.database import SessionLocal\n"
        "\n"
        "\n"
        "@pytest.fixture(scope=\"session\")\n"
        "async def db(anyio_backend):\n"
        "    async with SessionLocal() as session:\n"
        "        yield session\n"
    ),
    fixable=True,
    example_path="tests/conftest.py",
    fix_notes=(
        "A fixture (`@pytest.fixture`, any scope, sync or async already, as in the example) whose value is a session it opens with the session factory or "
        "`Session(engine)` (`AsyncSession(engine)` once migrated): `yield SessionLocal()` and `return "
        "SessionLocal()` become `async with SessionLocal() as session: yield session` (a return-style fixture "
        "becomes a yield fixture that owns the session); `session = SessionLocal()` handed out by `yield "
        "session` or `return session` gets the block from its binding to its last use (teardown such as "
        "`session.rollback()` stays inside, `session.close()` goes, a `try` left with an empty `finally` is "
        "unwrapped); `with SessionLocal() as session:` becomes `async with`. The fixture becomes async with "
        "the async coloring (F104): under `test-async-marker = \"anyio\"` it requests `anyio_backend`, and the "
        "top conftest.py gets the session-scoped `anyio_backend` (a fixture of any scope may request it); "
        "under `\"pytest-asyncio\"` it becomes `@pytest_asyncio.fixture(scope=S, loop_scope=S)`, and every "
        "async test or fixture that requests it, directly or through other fixtures, gets that loop too "
        "(`@pytest.mark.asyncio(loop_scope=S)`), so the session is used on the loop it was opened on. A "
        "fixture handing out `engine.connect()` is the same site under E107 and gets the same treatment "
        "(`async with engine.connect() as connection: yield connection`); a fixture yielding the engine "
        "itself needs no block, its `engine.dispose()` is awaited (E107).\n"
        "The fixture is converted only together with its users (the tests and fixtures requesting it by "
        "parameter name, resolved through conftest.py as pytest does). It stays as it is, with the reason, "
        "when a user is in a file this run does not migrate or must stay sync for a reason of its own (F107), "
        "when the project's `anyio_backend` fixture is narrower than the fixture's scope, and when the "
        "fixture also stores the session (a module global, `app.state.db = session`), uses it in a nested "
        "function or lambda, or binds the name twice.\n"
        "A fixture handing out a session of a `scoped_session` registry of the project (`session = Session(); "
        "session.begin_nested(); yield session; session.rollback()`, the registry imported from the module that "
        "binds it) cannot own an AsyncSession: the registry stays sync (E102 leaves `scoped_session`), and so do "
        "the factories (factory_boy's `sqlalchemy_session`) that add and commit through the same session. The "
        "fixture stays sync, its own calls on the session stay sync (S101 says why), and once one of its users "
        "becomes async it hands out `adopt_session(session)` (`sqlasync.compat`): an AsyncSession whose "
        "`sync_session` is that very session, so async tests, the services they await and the factories share "
        "one session and transaction. A test or fixture that requests it and stays sync (nothing it does needs "
        "async) uses the sync session under it: `sync_session = session.sync_session` first in its body, its "
        "uses of the parameter renamed to that; so does a `session.query(...)` that Q101 leaves in an async one "
        "(`session.sync_session.query(...)`: the registry's engine is sync, E107)."
    ),
)


@dataclass(frozen=True)
class FixtureHandout:
    """Rewrite fixture `fixture` so that `async with <acquire> as name:` owns what it hands out.

    Positions index the fixture's top-level statements, so the plan still applies once other rewrites
    changed nodes inside them. `shape` is "direct" (`yield acquire` / `return acquire` at `start`),
    "bound" (`name = acquire` at `start`, handed out and last used by the statement at `end`) or "with"
    (`with acquire as name:` at `start`, made `async with`)."""

    fixture: cst.FunctionDef
    acquire: cst.Call
    shape: str
    name: str
    start: int
    end: int
    # `Session(engine)` opens an `AsyncSession(engine)` (acquisition_rewrite spells the name).
    rename: bool = False

    @property
    def kind(self) -> str:
        """What the fixture hands out: "connection" for `engine.connect()`/`begin()`, else "session"."""
        return "connection" if isinstance(self.acquire.func, cst.Attribute) \
            and self.acquire.func.attr.value in ("connect", "begin") else "session"


# What a fixture that hands its users an adopted session (fixture_adoption.py) hands out, in the repository index
# (FileSummary.handout_fixtures).
ADOPTED = "adopted"


def is_fixture(evidence, function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        target = decorator.decorator
        func = target.func if isinstance(target, cst.Call) else target
        if evidence.qualified(func) & FIXTURE_DECORATORS or dotted_name(func) in FIXTURE_DECORATORS:
            return True
    return False


def handout_plan(evidence, call: cst.Call, default_name: str, rename: bool = False) -> FixtureHandout | str | None:
    """The plan for a fixture (sync, or async already) that hands out what `call` opens; a reason when it cannot own it;
    None when `call` is not such a handout (the caller's own rule then applies)."""
    function = evidence.enclosing(call, cst.FunctionDef)
    if function is None or not is_fixture(evidence, function) or not isinstance(function.body, cst.IndentedBlock):
        return None
    statements = list(function.body.body)
    parent = evidence.parent(call)
    holder = evidence.parent(parent)
    if isinstance(parent, (cst.Yield, cst.Return)) and parent.value is call:
        statement = holder if isinstance(parent, cst.Return) else evidence.parent(holder)
        if statement not in statements or len(statement.body) != 1:
            return None
        index = statements.index(statement)
        return FixtureHandout(function, call, "direct", free_name(function, default_name), index, index, rename)
    if isinstance(parent, cst.WithItem):
        statement = holder
        if statement not in statements or statement.asynchronous is not None or len(statement.items) != 1 \
                or statement.items[0].asname is None or not isinstance(statement.items[0].asname.name, cst.Name):
            return None
        name = statement.items[0].asname.name.value
        if not _hands_out(statement.body, name):
            return None
        index = statements.index(statement)
        return FixtureHandout(function, call, "with", name, index, index, rename)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        return _bound_plan(evidence, function, call, parent.targets[0].target, rename)
    return None


def _bound_plan(evidence, function: cst.FunctionDef, call: cst.Call, target: cst.Name,
                rename: bool) -> FixtureHandout | str | None:
    name = target.value
    statements = list(function.body.body)
    statement = evidence.parent(evidence.parent(call))
    if statement not in statements:
        return None
    start = statements.index(statement)
    handed = [i for i, s in enumerate(statements) if i > start and _hands_out(s, name)]
    if not handed:
        return None
    if _declared_shared(function, name):
        return (f"the fixture stores the session on the module global `{name}`, where other code may use it after "
                "an `async with` block closed it; hand it out only (`async with ... as session: yield session`) "
                "by hand")
    scope = metadata_value(evidence.scopes, target)
    if scope is None or len(scope.assignments[name]) != 1:
        return f"`{name}` is bound more than once in fixture `{function.name.value}`; convert by hand"
    end = handed[-1]
    for access in next(iter(scope.assignments[name])).references:
        node = access.node
        top = _top_statement(evidence, node, function.body)
        index = statements.index(top) if top in statements else -1
        if index <= start:
            return f"`{name}` is used before fixture `{function.name.value}` opens it; convert by hand"
        if access.scope is not scope:
            return (f"`{name}` is used inside a nested function or lambda of fixture `{function.name.value}`, which "
                    "may run after the session is closed; convert by hand")
        stored = _stored(evidence, node)
        if stored:
            return (f"the fixture also stores the session (`{stored}`), where it outlives the fixture's block; "
                    "convert by hand")
        if not _is_close(evidence, node, name):
            end = max(end, index)
    return FixtureHandout(function, call, "bound", name, start, end, rename)


def closed_by_fixture_block(evidence, close: cst.Call) -> bool:
    """`session.close()` in a fixture whose `async with` block will own `session` (D105 drops the call, so
    S101 must not count it as an await to write)."""
    receiver = close.func.value
    if not isinstance(receiver, cst.Name) or not _is_close(evidence, receiver, receiver.value):
        return False
    scope = metadata_value(evidence.scopes, receiver)
    assignments = list(scope.assignments[receiver.value]) if scope is not None else []
    if len(assignments) != 1:
        return False
    value = evidence.bound_value(assignments[0].node)
    if not isinstance(value, cst.Call) or evidence.is_session_factory_call(value) is None:
        return False
    plan = handout_plan(evidence, value, "session")
    return isinstance(plan, FixtureHandout) and plan.shape == "bound" and plan.name == receiver.value


def _hands_out(node: cst.CSTNode, name: str) -> bool:
    """`yield name` or `return name` as a statement of `node` (also inside a `try` there)."""
    return bool(m.findall(node, m.Expr(m.Yield(m.Name(name))) | m.Return(m.Name(name))))


def _declared_shared(function: cst.FunctionDef, name: str) -> bool:
    return any(alias.name.value == name for statement in m.findall(function, m.Global() | m.Nonlocal())
               for alias in statement.names)


def _stored(evidence, name: cst.Name) -> str | None:
    """`app.state.db = session`, `x = session`: the session handed to something that outlives the block."""
    parent = evidence.parent(name)
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and parent.value is name:
        return cst.Module([]).code_for_node(parent).strip()
    return None


def _is_close(evidence, name: cst.Name, variable: str) -> bool:
    attribute = evidence.parent(name)
    call = evidence.parent(attribute)
    return m.matches(call, m.Call(func=m.Attribute(value=m.Name(variable), attr=m.Name("close")), args=[])) \
        and isinstance(evidence.parent(call), cst.Expr)


def _top_statement(evidence, node: cst.CSTNode, block: cst.IndentedBlock) -> cst.CSTNode | None:
    current = node
    while current is not None and evidence.parent(current) is not block:
        current = evidence.parent(current)
    return current


def free_name(function: cst.FunctionDef, preferred: str) -> str:
    taken = {n.value for n in m.findall(function, m.Name())}
    for candidate in (preferred, f"{preferred}_", f"opened_{preferred}"):
        if candidate not in taken:
            return candidate
    return f"opened_{preferred}_{len(taken)}"


# -- the solver's side --------------------------------------------------------------------------------

def users(index, fixture) -> list:
    """Tests and fixtures that request `fixture` by parameter name, resolved the way pytest does (own
    module, then conftest.py upwards)."""
    facts = index.function(fixture)
    name = facts.fixture_name or facts.name
    return [function for function, other in index.functions()
            if other.role in ("test", "fixture") and function != fixture
            and any(param == name for param, _ in other.params) and index.fixture(name, function[0]) == fixture]


def chain_reason(coloring, fixture, facts) -> str | None:
    """Why a fixture handing out what it opens must stay sync: it becomes async only with its users."""
    summary = coloring.index.files[fixture[0]]
    if fixture[1] not in summary.handout_fixtures:
        return None
    kind, requests_backend = summary.handout_fixtures[fixture[1]]
    if kind == ADOPTED:
        return None  # it stays sync, its users become async or not on their own
    for user in users(coloring.index, fixture):
        user_facts = coloring.index.function(user)
        if user[0] not in coloring.migrated:
            return (f"`{user_facts.name}` in {user[0]} requests it and is not part of this migration, so it keeps "
                    "using it the sync way; migrate them together")
        if not user_facts.is_async and user_facts.blocker is not None:
            return f"`{user_facts.name}` requests it and must stay sync ({user_facts.blocker})"
        if kind == "connection":
            called = _connection_io(coloring.index, user, facts.fixture_name or facts.name)
            if called:
                return (f"`{user_facts.name}` calls `{called}()` on the connection it receives, and sqlasync does not "
                        "await a fixture's connection in its users; await those calls by hand, then migrate")
    if requests_backend:
        backend = coloring.index.fixture("anyio_backend", fixture[0])
        backend_scope = coloring.index.function(backend).fixture_scope if backend is not None else None
        if backend is not None and _narrower(backend_scope, facts.fixture_scope):
            return (f"its scope is {facts.fixture_scope!r} but the `anyio_backend` fixture it would request "
                    f"({backend[0]}) is {backend_scope or 'function'}-scoped; give `anyio_backend` "
                    f"scope=\"session\"")
    return None


def _connection_io(index, user, name: str) -> str | None:
    """A method of the requested connection that `user` calls without awaiting it (`conn.execute(...)`)."""
    received = ("fixture", name, user[0])
    for site in index.files[user[0]].facts.calls:
        callee = site.callee
        if site.owner == user[1] and not site.awaited and callee is not None and callee[0] == "attr" \
                and callee[1] == received and callee[2] in CONNECTION_IO:
            return f"{name}.{callee[2]}"
    return None


def _narrower(scope: str | None, than: str | None) -> bool:
    return _rank(scope) < _rank(than)


def _rank(scope: str | None) -> int:
    return FIXTURE_SCOPES.index(scope) if scope in FIXTURE_SCOPES else 0


def loop_scope(coloring, function) -> str | None:
    """pytest-asyncio: the widest event loop among `function`'s own scope (when it is a fixture) and the async
    fixtures it requests, directly or through other fixtures; None for the default per-test loop."""
    widest = 0
    seen = set()
    pending = [function]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        facts = coloring.index.function(current)
        if facts is None:
            continue
        if facts.role == "fixture" and coloring.async_after(current):
            widest = max(widest, _rank(facts.fixture_scope))
        for param, _ in facts.params:
            requested = coloring.index.fixture(param, current[0])
            if requested is not None:
                pending.append(requested)
    return FIXTURE_SCOPES[widest] if widest else None
