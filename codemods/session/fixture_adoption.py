"""D105 for a fixture whose session must stay sync: it hands its async users an AsyncSession adopting it.

A fixture handing out a session of a `scoped_session` registry (`session = Session(); session.begin_nested();
yield session; session.rollback()`) cannot own an AsyncSession of its own: the registry stays sync (E102 leaves
`scoped_session`) and so does the sync code that shares its session (factory_boy's `sqlalchemy_session`). Its async
users get `compat.adopt_session(session)` instead (`AdoptedHandout`); a user that stays sync gets the sync session
back through `sync_session` (`SyncFace`), and so does a legacy `session.query(...)` that Q101 leaves in an async
user (`SyncQuery`). Which users become async only the run's coloring knows: the prediction adopts, and
`coloring_predict.resume_from_prediction` runs a file again where the run decides otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from ..core.nodes import metadata_value
from .fixture_sessions import ADOPTED, FixtureHandout, free_name, handout_plan, users


@dataclass(frozen=True)
class AdoptedHandout:
    """Hand the async users of fixture `fixture` `compat.adopt_session(<what it hands out>)`.

    The fixture hands out a session of a `scoped_session` registry that stays sync with the sync code sharing it
    (factories, the fixture's own SAVEPOINT and rollback), so it cannot own an AsyncSession of its own: its users
    get an AsyncSession over that very session. `handouts` are its `yield`/`return` statements' values."""

    fixture: cst.FunctionDef
    handouts: tuple[cst.BaseExpression, ...]


def adopted_handout(evidence, call: cst.Call, users_async) -> AdoptedHandout | str | None:
    """The plan for a fixture handing out the session that `call`, a call of a `scoped_session` registry, opens;
    a reason when none of its users becomes async; None when `call` is not such a handout.
    `users_async(fixture)`: whether any user of the fixture becomes async (None while that is unknown)."""
    plan = handout_plan(evidence, call, "session")
    if not isinstance(plan, FixtureHandout) or plan.shape == "with":
        return None
    function = plan.fixture
    if plan.shape == "direct":
        values = (call,)
    else:
        values = tuple(statement.value for statement in m.findall(function, m.Yield(m.Name(plan.name))
                                                                  | m.Return(m.Name(plan.name))))
    if users_async(function) is False:
        return (f"none of the users of fixture `{function.name.value}` becomes async, so they keep the sync session "
                "it hands out")
    return AdoptedHandout(function, values)


@dataclass(frozen=True)
class SyncFace:
    """A test or fixture that stays sync and requests a fixture that now hands out `adopt_session(...)`: its uses of
    parameter `name` go to `renamed = name.sync_session`, the sync session it received before."""

    function: cst.FunctionDef
    name: str
    renamed: str
    uses: frozenset[int]  # id() of the parameter's references in the function


@dataclass(frozen=True)
class SyncQuery:
    """`session.query(...)` that Q101 leaves in an async user of a fixture handing out `adopt_session(...)`:
    AsyncSession has no `query`, so it runs on `session.sync_session`, the adopted sync session (whose registry
    is bound to a sync-driver engine, E107)."""

    receiver: cst.Name


def adopting(coloring, fixture) -> bool:
    """Does this run hand the users of `fixture` an adopted session (AdoptedHandout, one of its users async)?"""
    summary = coloring.index.files.get(fixture[0])
    entry = summary.handout_fixtures.get(fixture[1]) if summary is not None else None
    return entry is not None and entry[0] == ADOPTED and any(
        coloring.async_after(user) for user in users(coloring.index, fixture))


def sync_face_params(coloring, function, asynchronous: bool = False) -> list[str]:
    """The parameters of test or fixture `function` that receive an adopted session, when the function stays sync
    (or, with `asynchronous`, when it is or becomes async)."""
    facts = coloring.index.function(function)
    if facts is None or facts.role not in ("test", "fixture") or coloring.async_after(function) != asynchronous:
        return []
    found = []
    for param, _ in facts.params:
        fixture = coloring.index.fixture(param, function[0])
        if fixture is not None and fixture != function and adopting(coloring, fixture):
            found.append(param)
    return found


def sync_face_plan(evidence, function: cst.FunctionDef, param: cst.Param) -> SyncFace | None:
    """The plan for a sync user's parameter `param`; None when the function does not use it, or uses only the
    sync session under it already (`session.sync_session`: what this plan writes, which must not plan again)."""
    uses = [use for use in _references(evidence, function, param) if not _sync_face_taken(evidence, use)]
    if not uses:
        return None
    name = param.name.value
    return SyncFace(function, name, free_name(function, f"sync_{name}"), frozenset(id(node) for node in uses))


def _sync_face_taken(evidence, use: cst.Name) -> bool:
    attribute = evidence.parent(use)
    return isinstance(attribute, cst.Attribute) and attribute.value is use and attribute.attr.value == "sync_session"


def query_receivers(evidence, function: cst.FunctionDef, param: cst.Param) -> list[cst.Name]:
    """The uses of `param` in `function` that call its `query(...)`."""
    found = []
    for use in _references(evidence, function, param):
        attribute = evidence.parent(use)
        if isinstance(attribute, cst.Attribute) and attribute.value is use and attribute.attr.value == "query" \
                and isinstance(evidence.parent(attribute), cst.Call):
            found.append(use)
    return found


def _references(evidence, function: cst.FunctionDef, param: cst.Param) -> list[cst.Name]:
    """Where `function`'s body reads its parameter `param`."""
    scope = metadata_value(evidence.scopes, function.body)
    if scope is None or param.name.value not in scope:
        return []
    return [access.node for assignment in scope.assignments[param.name.value] if assignment.node is param
            for access in assignment.references]
