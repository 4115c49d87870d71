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

from collections import Counter, defaultdict, deque
from collections.abc import Iterable

from ..index import callables as coloring_callables
from . import loop_driver as coloring_loop_driver
from ..index import properties as coloring_properties
from ..query import approve_query_functions, approve_returned_queries
from ..index.facts import CONTEXT_METHODS, FunctionFacts
from ..index.entities import FunctionId
from ..index.repo_index import RepoIndex
from .solution import ALREADY_ASYNC, BECOMES, CONVERTED, STAYS_SYNC, SYNC_ENTRY, Caller, Coloring, resolve_callee
from .solve_reasons import _caller_problem, _entry_reason, _hands_sync_session, _local_reason, _may_be_entry


def solve(index: RepoIndex, migrated: Iterable[str], enabled: bool = True) -> Coloring:
    coloring = Coloring(index, frozenset(migrated), enabled, accessors=coloring_properties.analyse(index))
    functions = dict(index.functions())
    _collect_edges(coloring, functions)
    coloring.queries = approve_query_functions(index, coloring.callers, coloring.values, coloring.migrated)
    coloring.returned = approve_returned_queries(index, coloring.callers, coloring.values, coloring.migrated)
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
                # `self.model(session=db)`, `entry.update(session=db)`) may do I/O with it (recogniser.py bridges it).
                for possible in index.possible_callees(site.callee, path):
                    coloring.callers.setdefault(possible, []).append(Caller(owner, site, path))
        for use in summary.facts.values:
            entity = index.resolve(use.target, path)
            if entity is not None and entity[0] == "function":
                target = (entity[1], entity[2])
                if target in coloring.accessors.reads or target in coloring.accessors.reasons:
                    continue  # `f(obj.prop)` passes the property's value (index/properties.py sees the read)
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
        # A function that calls a parameter `current` is handed to awaits it (index/callables.py).
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
