"""Which functions become async: a fixpoint over the repository's call graph.

A function *needs* async when another family's rewrite puts an `await` into it (a seed) or when it
calls a function that becomes async. It *can* become async unless something forbids it: a local
reason (property, special method, Celery task, a decorator that may not accept coroutine functions),
its file is not being migrated, it is handed as a value to code that calls it synchronously, or one
of its callers cannot await (a lambda, a generator expression, module level, a function that itself
stays sync). The second condition flows from callers to callees, the first from callees to callers:

    allowed  = the largest set of unblocked functions whose direct callers are all allowed
    becomes  = the smallest set holding every allowed seed and every allowed caller of a member

Methods that override one another share one color, so a call through the base class stays right.
A function that needs async but is not allowed *stays sync*, with the reason; async callers reach it
through the compat bridge (`await call_legacy(db, fn, ...)`), see F108.

A function forbidden only by how it is *called* (a decorator that wraps a sync callable, a consumer
that calls it synchronously, a lambda) is a *sync entry* instead: it keeps its sync signature for
those callers and runs its body as an async twin (`compat.run_from_sync`, F112), so it neither blocks
its callees nor makes its callers async; callers that are async after the run await the twin. When
such a caller cannot be rewritten (its file is not migrated, or `await` cannot go where it calls),
the function is blocked as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from . import coloring_callables, coloring_loop_driver, coloring_loops, fixture_sessions
from . import coloring_properties, query_params, query_returns
from .coloring_properties import Accessors
from .coloring_scan import CONTEXT_METHODS, AttributeRead, CallSite, FunctionFacts
from .repo_index import FunctionId, RepoIndex

ALREADY_ASYNC, BECOMES, CONVERTED, STAYS_SYNC, NOT_NEEDED = "async", "becomes", "converted", "stays-sync", "sync"
# A sync entry point whose body becomes an async twin (F112): async inside, sync to its callers.
SYNC_ENTRY = "sync-entry"
ENTRY_SUFFIX = "_async"
# Consumers that accept coroutine functions as readily as plain ones.
ASYNC_FRIENDLY = frozenset({"depends", "background", "route", "fixture-value"})


@dataclass(frozen=True)
class Caller:
    """One call of a function: from which function (None: no function runs it), how, and where."""

    function: FunctionId | None
    site: CallSite
    path: str


@dataclass
class Coloring:
    """The verdict for every function of the repository."""

    index: RepoIndex
    migrated: frozenset[str]
    enabled: bool
    status: dict[FunctionId, str] = field(default_factory=dict)
    reasons: dict[FunctionId, str] = field(default_factory=dict)
    roles: dict[FunctionId, str] = field(default_factory=dict)
    callers: dict[FunctionId, list[Caller]] = field(default_factory=dict)
    values: dict[FunctionId, list[tuple[str, object]]] = field(default_factory=dict)
    accessors: Accessors = field(default_factory=Accessors)
    drivers: coloring_loop_driver.Drivers = field(default_factory=coloring_loop_driver.Drivers)
    queries: query_params.QueryFunctions = field(default_factory=query_params.QueryFunctions)
    returned: query_returns.ReturnedQueries = field(default_factory=query_returns.ReturnedQueries)
    # Methods overridden by (or overriding) a generator: a call may run an (async) generator, iterated, not awaited.
    generator_overrides: frozenset[FunctionId] = frozenset()
    _used_results: dict[FunctionId, list[FunctionId]] | None = field(default=None, repr=False)
    _callees: dict[FunctionId, list[FunctionId]] | None = field(default=None, repr=False)
    _interesting: set[str] | None = field(default=None, repr=False)
    _digest: str | None = field(default=None, repr=False)
    _anyio_homes: set[str] | None = field(default=None, repr=False)
    _engine_homes: set[str] | None = field(default=None, repr=False)
    _imported_from: dict[str, frozenset[str]] | None = field(default=None, repr=False)
    _legacy: set[FunctionId] | None = field(default=None, repr=False)
    # Functions that may become sync entries (F112), with the reason they must keep a sync signature.
    entries: dict[FunctionId, str] = field(default_factory=dict)
    callables: coloring_callables.Callables = field(default_factory=coloring_callables.Callables)

    def verdict(self, function: FunctionId) -> str:
        return self.status.get(function, NOT_NEEDED)

    def async_after(self, function: FunctionId) -> bool:
        """Does `function`'s body run async once this migration is done (a sync entry's body does)?"""
        return self.verdict(function) in (ALREADY_ASYNC, BECOMES, CONVERTED, SYNC_ENTRY)

    def awaited_after(self, function: FunctionId) -> bool:
        """Must callers await `function` once this migration is done (a sync entry's callers do not)?"""
        return self.verdict(function) in (ALREADY_ASYNC, BECOMES, CONVERTED)

    def entry_after(self, function: FunctionId) -> bool:
        """Does `function` keep a sync face for its body's async twin (F112)?"""
        return self.verdict(function) == SYNC_ENTRY

    def newly_async(self, function: FunctionId) -> bool:
        return self.verdict(function) in (BECOMES, CONVERTED)

    def reason(self, function: FunctionId) -> str | None:
        return self.reasons.get(function)

    def resolve_call(self, site: CallSite, path: str) -> FunctionId | None:
        return resolve_callee(self.index, site, path)

    def becomes_method(self, function: FunctionId) -> bool:
        """Is `function` a @property getter that becomes an async method?"""
        return function in self.accessors.reads and self.newly_async(function)

    def property_read(self, read: AttributeRead, path: str) -> FunctionId | None:
        """The property getter that becomes an async method which `read` reads, if any."""
        if read.kind != "load" or read.name not in self.accessors.names:
            return None
        function = coloring_properties.read_target(self.index, self.accessors, read, path)
        return function if function is not None and self.becomes_method(function) else None

    def callees_used_by(self, function: FunctionId) -> list[FunctionId]:
        """Callees whose results `function` uses on the spot (see CallSite.used)."""
        if self._used_results is None:
            used: dict[FunctionId, list[FunctionId]] = defaultdict(list)
            for callee, callers in self.callers.items():
                for caller in callers:
                    if caller.function is not None and caller.site.used and caller.site.context == "body" \
                            and not caller.site.awaited:
                        used[caller.function].append(callee)
            self._used_results = used
        return self._used_results.get(function, [])

    def legacy(self, function: FunctionId) -> bool:
        """Does `function` stay sync while holding sync session I/O, its own or that of a function it hands its
        session to (so async callers need the bridge, and its session stays a sync `Session`)?"""
        if self._legacy is None:
            self._legacy = self._sync_io_holders()
        return function in self._legacy

    def _sync_io_holders(self) -> set[FunctionId]:
        def holds_own(function: FunctionId) -> bool:
            if self.async_after(function) or function in self.returned.approved:
                return False  # (a method returning its query for its callers to run does no I/O once converted)
            summary = self.index.files.get(function[0])
            return self.verdict(function) == STAYS_SYNC or (summary is not None and function[1] in summary.legacy_io)

        holders = {function for function, _ in self.index.functions() if holds_own(function)}
        queue = deque(holders)
        while queue:
            callee = queue.popleft()
            # A function its decorator replaces by a wrapper (`@auto_init()` on an `__init__`) runs inside that
            # wrapper, on the wrapper's session.
            for function in self.index.replacing(callee):
                if function not in holders and not self.async_after(function):
                    holders.add(function)
                    queue.append(function)
            for caller in self.callers.get(callee, ()):
                owner = caller.function
                if owner is None or owner in holders or not caller.site.passes_session or caller.site.awaited \
                        or caller.site.context != "body" or self.async_after(owner) \
                        or owner in self.returned.approved:
                    continue
                holders.add(owner)
                queue.append(owner)
        return holders

    def anyio_homes(self) -> set[str]:
        """Files that define the session-scoped `anyio_backend` fixture for the tests that become async: the
        top-most migrated conftest.py above them, else the test module itself when it has async fixtures."""
        if self._anyio_homes is None:
            homes: set[str] = set()
            conftests = {PurePosixPath(p).parent: p for p in self.index.files
                         if PurePosixPath(p).name == "conftest.py" and p in self.migrated}
            for function, status in self.status.items():
                role = self.roles.get(function)
                if status != BECOMES or role not in ("test", "fixture"):
                    continue
                above = [conftests[folder] for folder in reversed(PurePosixPath(function[0]).parents)
                         if folder in conftests]
                if above:
                    homes.add(above[0])
                elif role == "fixture":
                    homes.add(function[0])
            self._anyio_homes = homes
        return self._anyio_homes

    def engine_homes(self) -> set[str]:
        """conftest.py files that get F109's pool listener."""
        if self._engine_homes is None:
            self._engine_homes = coloring_loops.engine_homes(self.index, self.migrated)
        return self._engine_homes

    def interesting(self, path: str, content: bytes) -> bool:
        """May `path` hold an F site although no family's byte-level trigger matches it?"""
        if self._interesting is None:
            self._interesting = self._files_with_sites()
        if path in self._interesting:
            return True
        # Relationship reads (F201) in a file with code that is async after migration.
        return path in self._async_files and self._relationship_reads.search(content) is not None

    @property
    def _async_files(self) -> set[str]:
        return {function[0] for function in self.status if self.async_after(function)}

    @property
    def _relationship_reads(self) -> re.Pattern[bytes]:
        names = sorted({name for summary in self.index.files.values() for facts in summary.facts.classes.values()
                        for name in facts.relationships})
        return re.compile(rb"\.(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b" if names else rb"(?!)")

    def _files_with_sites(self) -> set[str]:
        files = {function[0] for function, status in self.status.items()
                 if status in (BECOMES, STAYS_SYNC, SYNC_ENTRY)}
        # Declarative bases that may need AsyncAttrs (F202): the files declaring classes with relationships' bases.
        files |= {path for path, summary in self.index.files.items()
                  if any(facts.relationships for facts in summary.facts.classes.values())
                  or any(set(facts.base_names) & {"DeclarativeBase", "DeclarativeBaseNoMeta"}
                         for facts in summary.facts.classes.values())}
        files |= self.anyio_homes()
        files |= self.engine_homes()
        files |= {driver[0] for driver in (*self.drivers.removed, *self.drivers.refused)}
        # The callers of a function returning a Flask-SQLAlchemy query may not name `.query` themselves.
        files |= self.returned.files
        for callee, callers in self.callers.items():
            if self.verdict(callee) in (BECOMES, CONVERTED, STAYS_SYNC) or self.legacy(callee) or \
                    self.verdict(callee) == ALREADY_ASYNC:
                files.update(caller.path for caller in callers)
        return files

    def digest(self) -> str:
        """Changes whenever a verdict does: part of the results cache key, since findings depend on other files."""
        if self._digest is None:
            data = [self.enabled, sorted(self.migrated), sorted(map(list, self.status.items())),
                    sorted(map(list, self.reasons.items())), sorted(map(list, self.roles.items())),
                    sorted(self.engine_homes()), sorted(map(list, self.drivers.refused.items())),
                    sorted(self.generator_overrides),
                    # Queries returned across modules: a caller's findings depend on the function's file.
                    sorted(map(list, self.returned.flask.items())), sorted(self.returned.repeating),
                    sorted(map(list, self.returned.reasons.items()))]
            self._digest = hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:16]
        return self._digest

    # The view other families consult through `FileContext.will_be_async()`.
    def function_async(self, path: str, qualname: str) -> bool | None:
        if self.index.function((path, qualname)) is None:
            return None
        return self.async_after((path, qualname))

    def function_blocker(self, path: str, qualname: str) -> str | None:
        if self.async_after((path, qualname)):
            return None
        return self.reasons.get((path, qualname))

    def function_stuck(self, path: str, qualname: str) -> bool:
        return self.verdict((path, qualname)) == STAYS_SYNC or self.legacy((path, qualname))

    def sync_session_giver(self, path: str, qualname: str) -> tuple[str, bool] | None:
        """A caller that stays sync with its sync session I/O and hands that session to this function, which
        stays sync too (so it is handed a sync `Session`): the caller's name, and whether other callers hand it
        a session too (which may then be an AsyncSession); None when no such caller does."""
        function = (path, qualname)
        if self.async_after(function):
            return None
        handing = [caller for caller in self.callers.get(function, ())
                   if caller.site.passes_session and not caller.site.awaited]
        givers = [caller for caller in handing if caller.function is not None and self.legacy(caller.function)]
        if not givers:
            return None
        return givers[0].function[1], len(givers) < len(handing)

    def imported_from(self, path: str) -> frozenset[str]:
        """Names other files import from the module at `path` (`from .core import engine, sessionmaker`):
        an import there that the rewrite no longer uses itself is still what they import."""
        if self._imported_from is None:
            found: dict[str, set[str]] = defaultdict(set)
            for origin, summary in self.index.files.items():
                for binding in summary.facts.names.values():
                    if binding is None or binding[0] != "name" or "." not in binding[1]:
                        continue
                    module, _, name = binding[1].rpartition(".")
                    target = self.index.module_path(module, origin)
                    if target is not None and target != origin:
                        found[target].add(name)
            self._imported_from = {target: frozenset(names) for target, names in found.items()}
        return self._imported_from.get(path, frozenset())


def solve(index: RepoIndex, migrated: Iterable[str], enabled: bool = True) -> Coloring:
    coloring = Coloring(index, frozenset(migrated), enabled, accessors=coloring_properties.analyse(index))
    functions = dict(index.functions())
    _collect_edges(coloring, functions)
    coloring.queries = query_params.approve(index, coloring.callers, coloring.values, coloring.migrated)
    coloring.returned = query_returns.approve(index, coloring.callers, coloring.values, coloring.migrated)
    coloring.callables = coloring_callables.analyse(index, coloring.callers, coloring.values)
    groups = _override_groups(index, functions)
    sizes = Counter(groups.values())
    yielding = {group for function, group in groups.items() if functions[function].is_generator and sizes[group] > 1}
    coloring.generator_overrides = frozenset(function for function, group in groups.items() if group in yielding)
    overridden = {function for function, group in groups.items() if sizes[group] > 1}
    entry_blocked: dict[FunctionId, str] = {}
    while True:
        blocked = {**_blocked(coloring, functions, overridden, entry_blocked), **entry_blocked}
        allowed = _allowed(coloring, functions, blocked, groups)
        coloring.drivers = coloring_loop_driver.decide(index, coloring.callers, coloring.values, coloring.migrated,
                                                       allowed)
        _color(coloring, functions, allowed, groups)
        coloring._legacy = None  # worked out on the colors of the moment while they were being decided
        crowded = {f: why for f, why in _crowded_entry_points(coloring).items() if f not in entry_blocked}
        crowded.update({f: why for f, why in _entries_called_from_async(coloring).items() if f not in entry_blocked})
        crowded.update({f: why for f, why in coloring_callables.conflicts(coloring, _sync_on_the_loop).items()
                        if f not in entry_blocked})
        if not crowded:
            coloring.callables.awaited = coloring_callables.awaited(coloring)
            return coloring
        # Start again with those functions kept sync: what they made async may not need to be any more.
        entry_blocked.update(crowded)
        coloring.status.clear()
        coloring.reasons.clear()
        coloring.entries.clear()


def _crowded_entry_points(coloring: Coloring) -> dict[FunctionId, str]:
    """Functions that would become async although an `if __name__ == "__main__":` block calls them beside
    another async function: one asyncio.run() per call would give each its own event loop, so they stay sync."""
    by_script: dict[str, list[FunctionId]] = defaultdict(list)
    for callee, callers in coloring.callers.items():
        for caller in callers:
            if caller.function is None and caller.site.context == "main" and not caller.site.awaited \
                    and coloring.awaited_after(callee):
                by_script[caller.path].append(callee)
    crowded = {}
    for path, callees in by_script.items():
        if len(callees) > 1:
            for callee in callees:
                if coloring.newly_async(callee):
                    crowded[callee] = (f"the `if __name__ == \"__main__\":` block of {path} calls it beside other "
                                       "async functions (each asyncio.run() would start its own event loop)")
    return crowded


def _entries_called_from_async(coloring: Coloring) -> dict[FunctionId, str]:
    """Sync entries called from async code that cannot be rewritten to await the twin: the entry's wait for its
    own body would block that code's event loop, so the entry cannot be one (it stays sync, for its reason)."""
    refused = {}
    kept_calls = None
    for entry, reason in coloring.entries.items():
        if coloring.verdict(entry) != SYNC_ENTRY:
            continue
        for path, use in coloring.values.get(entry, ()):
            if use.consumer != "unknown" or use.keyword is None:
                continue
            if kept_calls is None:
                kept_calls = _methods_called_on_the_loop(coloring)
            if use.keyword in kept_calls:
                where = kept_calls[use.keyword]
                refused[entry] = (f"{reason}, and `.{use.keyword}(...)` is called by sync code on the event loop's "
                                  f"thread ({where}), where its sync entry could not wait for it")
        for caller in coloring.callers.get(entry, ()):
            if caller.function is None or not coloring.async_after(caller.function):
                continue
            if caller.path not in coloring.migrated or caller.site.context != "body":
                refused[entry] = (f"{reason}, and `{caller.function[1]}` ({caller.path}:{caller.site.line}) calls it "
                                  "from async code that this run cannot make await its async twin")
                break
    return refused


def _methods_called_on_the_loop(coloring: Coloring) -> dict[str, str]:
    """Methods of unknown receivers (`alias.func(x)`) called by functions that stay sync but run on the event loop's
    thread: name -> where."""
    on_loop = _sync_on_the_loop(coloring)
    called: dict[str, str] = {}
    for path, summary in coloring.index.files.items():
        for site in summary.facts.calls:
            if site.method is not None and site.owner is not None and (path, site.owner) in on_loop:
                called.setdefault(site.method, f"`{site.owner}` at {path}:{site.line}")
    return called


def _sync_on_the_loop(coloring: Coloring) -> set[FunctionId]:
    """Functions that stay sync but run on the event loop's thread: called directly by async code (not through
    the bridge's greenlet), or by such functions."""
    on_loop: set[FunctionId] = set()
    queue: deque[FunctionId] = deque()
    for callee, callers in coloring.callers.items():
        if coloring.async_after(callee) or coloring.legacy(callee):
            continue
        if any(caller.function is not None and caller.site.context == "body" and coloring.async_after(caller.function)
               for caller in callers):
            on_loop.add(callee)
            queue.append(callee)
    while queue:
        for callee in _callees_of(coloring, queue.popleft()):
            if callee not in on_loop and not coloring.async_after(callee) and not coloring.legacy(callee):
                on_loop.add(callee)
                queue.append(callee)
    return on_loop


def resolve_callee(index: RepoIndex, site: CallSite, path: str) -> FunctionId | None:
    entity = index.resolve(site.callee, path)
    if entity is not None and entity[0] == "function":
        return (entity[1], entity[2])
    return None


def _collect_edges(coloring: Coloring, functions: dict[FunctionId, FunctionFacts]) -> None:
    index = coloring.index
    for path, summary in index.files.items():
        for site in summary.facts.calls:
            callee = resolve_callee(index, site, path)
            owner = (path, site.owner) if site.owner is not None else None
            if callee is not None:
                coloring.callers.setdefault(callee, []).append(Caller(owner, site, path))
            elif site.passes_session:
                # A constructor or a generic model's method handed the session (`User(session=db)`,
                # `self.model(session=db)`, `entry.update(session=db)`) may do I/O with it (coloring.py bridges it).
                for possible in index.possible_callees(site.callee, path):
                    coloring.callers.setdefault(possible, []).append(Caller(owner, site, path))
        for use in summary.facts.values:
            entity = index.resolve(use.target, path)
            if entity is not None and entity[0] == "function":
                target = (entity[1], entity[2])
                if target in coloring.accessors.reads or target in coloring.accessors.reasons:
                    continue  # `f(obj.prop)` passes the property's value (coloring_properties.py sees the read)
                coloring.values.setdefault(target, []).append((path, use))
                if use.consumer == "depends":
                    coloring.roles.setdefault(target, "dependency")
                elif use.consumer == "background":
                    coloring.roles.setdefault(target, "background")
    for function, facts in functions.items():
        if facts.role is not None:
            coloring.roles[function] = facts.role
    # A property that may become an async method is called wherever it is read.
    accessors = coloring.accessors
    for function, reads in accessors.reads.items():
        coloring.callers.setdefault(function, []).extend(
            Caller((path, read.owner) if read.owner is not None else None, accessors.read_site(read), path)
            for path, read in reads)


def _override_groups(index: RepoIndex, functions: dict[FunctionId, FunctionFacts]) -> dict[FunctionId, FunctionId]:
    """Union-find over methods that override each other: one representative per group."""
    parent: dict[FunctionId, FunctionId] = {}

    def find(item: FunctionId) -> FunctionId:
        while parent.get(item, item) != item:
            item = parent[item]
        return item

    def union(one: FunctionId, other: FunctionId) -> None:
        mine, theirs = find(one), find(other)
        if mine != theirs:
            parent[mine] = theirs

    for path, summary in index.files.items():
        for qualname, facts in summary.facts.classes.items():
            # `__enter__` and `__exit__` become `__aenter__` and `__aexit__` together, over the whole hierarchy.
            context = [(path, facts.methods[name]) for name in CONTEXT_METHODS if name in facts.methods]
            for other in context[1:]:
                union(context[0], other)
            for ancestor in index.mro(path, qualname)[1:]:
                ancestor_facts = index.cls(*ancestor)
                for name, method in facts.methods.items():
                    if name in ancestor_facts.methods and not (name.startswith("__") and name.endswith("__")):
                        union((path, method), (ancestor[0], ancestor_facts.methods[name]))
                if context:  # (joined with the class's own pair, so with the ancestor's twin of each)
                    for name in CONTEXT_METHODS:
                        if name in ancestor_facts.methods:
                            union(context[0], (ancestor[0], ancestor_facts.methods[name]))
        # `plugin.instance.fetch_events(db_session=...)` on a receiver nothing types may run any method of that
        # name: they share one color, so the call is awaited, bridged or left sync alike whichever runs.
        for site in summary.facts.calls:
            if site.passes_session and site.method is not None and resolve_callee(index, site, path) is None:
                methods = index.methods_of_unknown_receiver(site.callee, path)
                for other in methods[1:]:
                    union(methods[0], other)
    return {function: find(function) for function in functions}


def _blocked(coloring: Coloring, functions: dict[FunctionId, FunctionFacts], overridden: set[FunctionId],
             refused: dict[FunctionId, str]) -> dict[FunctionId, str]:
    """Functions something local forbids to become async; those only their callers forbid become candidate sync
    entries (`coloring.entries`) instead, unless an earlier round `refused` them (or a method overrides them)."""
    blocked: dict[FunctionId, str] = {}
    for function, facts in functions.items():
        if facts.is_async:
            continue
        reason = _local_reason(coloring, function, facts)
        entry_reason = _entry_reason(coloring, function, facts, reason)
        if entry_reason is not None and function not in refused and function not in overridden \
                and _may_be_entry(coloring, function, facts):
            coloring.entries[function] = entry_reason
        elif reason is not None:
            blocked[function] = reason[0]
    return blocked


def _entry_reason(coloring: Coloring, function: FunctionId, facts: FunctionFacts,
                  local: tuple[str, bool] | None) -> str | None:
    """Why the function must keep a sync signature although its body could run async (its `local` reason, when
    that is only how it is called, or a caller where `await` cannot go), if it must."""
    if facts.blocker is not None and not facts.sync_entry:
        return None  # (a property becomes a method or stays, F101/F107)
    if local is not None:
        return local[0] if local[1] else None
    return next((problem for caller in coloring.callers.get(function, ())
                 if (problem := _caller_problem(caller)) is not None), None)


def _may_be_entry(coloring: Coloring, function: FunctionId, facts: FunctionFacts) -> bool:
    """A module-level function or a plain method of the migration, neither a generator nor a test, fixture or
    context manager, that no other method overrides, and whose twin's name is free."""
    if facts.is_generator or function[0] not in coloring.migrated or facts.role not in (None, "route"):
        return False
    summary = coloring.index.files[function[0]]
    twin = facts.name + ENTRY_SUFFIX
    if facts.class_qualname is not None:
        owner = summary.facts.classes.get(facts.class_qualname)
        if owner is None or "." in facts.class_qualname or facts.qualname != f"{facts.class_qualname}.{facts.name}" \
                or not facts.params or twin in owner.methods \
                or {"staticmethod", "classmethod"} & {d.removesuffix("()") for d in facts.decorators}:
            return False
    elif "." in facts.qualname or twin in summary.facts.functions or twin in summary.facts.names:
        return False
    # Its sync callers would hand it their sync session, which its async body could not use; a route's session
    # comes from its dependencies, which FastAPI resolves (and awaits) itself.
    if (facts.takes_session and facts.role != "route") or any(
            caller.site.passes_session for caller in coloring.callers.get(function, ())):
        return False
    return True


def _local_reason(coloring: Coloring, function: FunctionId, facts: FunctionFacts) -> tuple[str, bool] | None:
    """Why the function may never become async, and whether that reason is only how it is called (a sync entry
    point may still run an async body)."""
    if not coloring.enabled:
        return "async coloring (F101) is not selected for this run", False
    if facts.blocker is not None and function not in coloring.accessors.reads:
        found = coloring.accessors.reasons.get(function)
        if found:
            return f"{facts.blocker}, and it cannot become an async method: {found}", False
        return facts.blocker, facts.sync_entry
    if function[0] not in coloring.migrated:
        return f"{function[0]} is not part of this migration and stays legacy code", False
    handed = _sync_session_caller(coloring, function)
    if handed is not None:
        return handed, False
    for path, use in coloring.values.get(function, ()):
        if (path, use) in coloring.callables.harmless or coloring_callables.factory_returns_harmless(
                coloring.index, coloring.callers, coloring.values, function, use):
            continue  # handed to a function that calls it, which awaits it when it becomes async
        if use.consumer not in ASYNC_FRIENDLY:
            return (f"it is {use.detail or 'used as a value'} at {path}:{use.line}, which may call it "
                    "synchronously"), True
    reason = _shape_reason(coloring, function, facts)
    return (reason, False) if reason is not None else None


def _sync_session_caller(coloring: Coloring, function: FunctionId) -> str | None:
    """A function some caller hands a session that stays sync after the run (from a `sessionmaker` of its own
    sync engine) keeps a sync `Session`: it stays sync, and its async callers bridge to it."""
    for caller in coloring.callers.get(function, ()):
        if _hands_sync_session(coloring, caller):
            return (f"{caller.path}:{caller.site.line} hands it a session from a sync session factory that this "
                    "run keeps sync, so its session stays a sync `Session`")
    return None


def _hands_sync_session(coloring: Coloring, caller: Caller) -> bool:
    return any(coloring.index.session_side(argument, caller.path) == "sync" for argument in caller.site.session_args)


def _shape_reason(coloring: Coloring, function: FunctionId, facts: FunctionFacts) -> str | None:
    chain = fixture_sessions.chain_reason(coloring, function, facts)
    if chain is not None:
        return chain
    if facts.role == "contextmanager":
        for caller in coloring.callers.get(function, ()):
            if not caller.site.entered:
                return (f"it is a @contextmanager called outside a `with` statement at {caller.path}:"
                        f"{caller.site.line}; only `with {facts.name}(...)` can become `async with`")
    elif facts.role == "context-method":
        return _context_method_reason(coloring, function, facts)
    elif facts.is_generator and coloring.roles.get(function) not in ("fixture", "dependency"):
        for caller in coloring.callers.get(function, ()):
            if not caller.site.iterated:
                return (f"it is a generator called without iterating over it at {caller.path}:{caller.site.line}; "
                        "an async generator needs `async for`")
    return None


def _context_method_reason(coloring: Coloring, function: FunctionId, facts: FunctionFacts) -> str | None:
    """`__enter__`/`__exit__` may become `__aenter__`/`__aexit__` when the project defines both for the class and
    Python is the only caller: every use is a `with` statement, which becomes `async with`."""
    for caller in coloring.callers.get(function, ()):
        if not caller.site.entered:
            return (f"`{facts.name}` is called directly at {caller.path}:{caller.site.line}; only a `with` statement "
                    "can become `async with`")
    path, cls = function[0], facts.class_qualname
    found = {}
    for ancestor in coloring.index.mro(path, cls):
        methods = coloring.index.cls(*ancestor).methods
        for name in (*CONTEXT_METHODS, *CONTEXT_METHODS.values()):
            if name in methods:
                found.setdefault(name, (ancestor[0], methods[name]))
    for name, twin in CONTEXT_METHODS.items():
        if twin in found:
            return f"{cls} already defines `{twin}`"
        defined = found.get(name)
        definition = coloring.index.function(defined) if defined is not None else None
        if definition is None or definition.role != "context-method":
            return f"{cls} gets `{name}` from outside the project (or a decorated one), which stays sync"
    return None


def _allowed(coloring: Coloring, functions: dict[FunctionId, FunctionFacts], blocked: dict[FunctionId, str],
             groups: dict[FunctionId, FunctionId]) -> set[FunctionId]:
    """Drop blocked functions, then (repeatedly) every function one of whose callers cannot await."""
    members: dict[FunctionId, list[FunctionId]] = defaultdict(list)
    for function, representative in groups.items():
        members[representative].append(function)
    allowed = {f for f, facts in functions.items() if not facts.is_async and f not in blocked}
    queue = deque(blocked)
    for function, facts in functions.items():
        if facts.is_async or function in blocked or function in coloring.entries:
            continue  # an entry's callers call its sync signature: none of them can hold it back
        for caller in coloring.callers.get(function, ()):
            problem = _caller_problem(caller)
            if problem is not None:
                blocked[function] = problem
                allowed.discard(function)
                queue.append(function)
                break
    while queue:
        stuck = queue.popleft()
        for sibling in members[groups.get(stuck, stuck)]:
            if sibling in allowed:
                allowed.discard(sibling)
                blocked[sibling] = blocked[stuck]
                queue.append(sibling)
        for callee in _callees_of(coloring, stuck):
            if callee in allowed and callee not in coloring.entries:
                allowed.discard(callee)
                name = stuck[1]
                blocked[callee] = f"it is called from `{name}` ({stuck[0]}), which stays sync: {blocked[stuck]}"
                queue.append(callee)
    coloring.reasons.update(blocked)
    return allowed


def _caller_problem(caller: Caller) -> str | None:
    if caller.site.context in ("body", "main") or caller.site.thunk:
        return None  # (a lambda handing the coroutine on: the lambda's value use decides, see _local_reason)
    return f"it is called {caller.site.context} at {caller.path}:{caller.site.line}, where `await` cannot go"


def _callees_of(coloring: Coloring, function: FunctionId) -> list[FunctionId]:
    if coloring._callees is None:
        callees: dict[FunctionId, list[FunctionId]] = defaultdict(list)
        for callee, callers in coloring.callers.items():
            for caller in callers:
                if caller.function is not None and caller.site.context == "body":
                    callees[caller.function].append(callee)
        coloring._callees = callees
    return coloring._callees.get(function, [])


def _uses_async_result(coloring: Coloring, function: FunctionId, functions: dict[FunctionId, FunctionFacts]) -> bool:
    """A sync function that uses the result of an `async def` on the spot (`get_job(db, 1).title`) is broken
    as it stands: it must await the call, so it needs async like a seed."""
    if functions[function].is_async:
        return False
    for callee in coloring.callees_used_by(function):
        if functions.get(callee) is not None and functions[callee].is_async:
            return True
    return False


def _color(coloring: Coloring, functions: dict[FunctionId, FunctionFacts], allowed: set[FunctionId],
           groups: dict[FunctionId, FunctionId]) -> None:
    members: dict[FunctionId, list[FunctionId]] = defaultdict(list)
    for function, representative in groups.items():
        members[representative].append(function)
    status = coloring.status
    for function, facts in functions.items():
        if facts.is_async:
            status[function] = CONVERTED if function[1] in coloring.index.files[function[0]].converted else ALREADY_ASYNC
    queue = deque()
    for function in functions:
        summary = coloring.index.files[function[0]]
        if status.get(function) == CONVERTED:
            queue.append(function)
        elif function[1] in summary.seeds or function in coloring.drivers.users \
                or _uses_async_result(coloring, function, functions) or (
                summary.target == "async" and (function in coloring.queries.approved
                                               or function in coloring.returned.finishing)):
            _need(coloring, function, allowed, queue)
    _spread(coloring, queue, allowed, members, groups)
    # A migrated function that hands its (now async) session to sync legacy I/O must bridge the call,
    # and only async code can await the bridge. Legacy callees never become async, so one round is enough.
    coloring._legacy = None
    bridging = [f for f in functions if f not in status and f[0] in coloring.migrated and _calls_legacy(coloring, f)]
    for function in bridging:
        _need(coloring, function, allowed, queue)
    _spread(coloring, queue, allowed, members, groups)


def _need(coloring: Coloring, function: FunctionId, allowed: set[FunctionId], queue: deque) -> None:
    if function in coloring.entries:
        coloring.status[function] = SYNC_ENTRY  # its callers keep calling a sync function: nothing spreads
    elif function in allowed:
        coloring.status[function] = BECOMES
        queue.append(function)
    else:
        coloring.status[function] = STAYS_SYNC


def _spread(coloring: Coloring, queue: deque, allowed: set[FunctionId], members, groups) -> None:
    """Every caller of an async function becomes async, and every override of an async method."""
    status = coloring.status
    while queue:
        current = queue.popleft()
        for sibling in members[groups.get(current, current)]:
            if sibling in allowed and status.get(sibling) is None:
                status[sibling] = BECOMES
                queue.append(sibling)
        for caller in coloring.callers.get(current, ()):
            owner = caller.function
            if owner is None or caller.site.context != "body" or status.get(owner) is not None:
                continue
            # Only a function another family made async can have a caller that may not follow it.
            _need(coloring, owner, allowed, queue)
        # A function that calls a parameter `current` is handed to awaits it (coloring_callables.py).
        for holder in coloring.callables.holders(current):
            if status.get(holder) is None:
                _need(coloring, holder, allowed, queue)


def _calls_legacy(coloring: Coloring, function: FunctionId) -> bool:
    for callee in _callees_of(coloring, function):
        if coloring.legacy(callee) and any(caller.function == function and not caller.site.awaited
                                           and caller.site.passes_session and not _hands_sync_session(coloring, caller)
                                           for caller in coloring.callers[callee]):
            return True
    return False
