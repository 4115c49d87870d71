"""The solved coloring of a run: which functions become async, who calls them, and why the others stay sync."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from . import loop_driver as coloring_loop_driver, loops as coloring_loops
from ..index import callables as coloring_callables, properties as coloring_properties
from ..index.facts import AttributeRead, CallSite
from ..index.properties import Accessors
from ..index.entities import FunctionId
from ..index.repo_index import RepoIndex
from ..query import QueryFunctions, ReturnedQueries


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
    queries: QueryFunctions = field(default_factory=QueryFunctions)
    returned: ReturnedQueries = field(default_factory=ReturnedQueries)
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

    def module_stays_legacy(self, module: str, origin: str) -> bool:
        """Is `module` (as imported from `origin`) a file of the repository this run does not migrate?"""
        path = self.index.module_path(module, origin)
        return path is not None and path not in self.migrated

    def module_defining(self, name: str, origin: str) -> str | None:
        """The dotted name of the one module other than `origin` that defines function `name` at its top level once
        this run is done, for `origin` to import it from; None when none or several do, or a module this run leaves
        alone might (its facts are the prediction's, which may have written it)."""
        homes = []
        for path, summary in self.index.files.items():
            if path == origin or name not in summary.facts.functions:
                continue
            if path not in self.migrated and summary.predicted is not None:
                return None
            homes.append(summary.location.module)
        return homes[0] if len(homes) == 1 else None

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


def resolve_callee(index: RepoIndex, site: CallSite, path: str) -> FunctionId | None:
    entity = index.resolve(site.callee, path)
    if entity is not None and entity[0] == "function":
        return (entity[1], entity[2])
    return None
