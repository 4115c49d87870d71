"""F: async coloring across the repository, its boundaries, and relationship loading under asyncio.

The other families put `await` into functions; this one makes those functions `async def`, awaits
every call of them anywhere in the repository, and handles the places where the event loop takes
over (routes, tests, script entry points) or where a function must stay sync. The decisions come
from the run's `Coloring` (index/repo_index.py + solve.py); this recogniser only maps them onto
the nodes of one file, as it looks after the other families' rewrites (`migrate`) or before them
(`check`), so that both report the same sites.
"""

from __future__ import annotations

from collections import Counter

import libcst as cst

from . import (background as coloring_background, blocking as coloring_blocking, fixture_values,
               loop_driver as coloring_loop_driver, loops as coloring_loops, lazy_loads)
from .plan import (AsyncEntry, AsyncLoop, AwaitCall, AwaitInsteadOfRun, AwaitRead, AwaitTwin, Bridge,
                   RunMain)
from .rewrite import rewrite
from . import rules as rules_async, rules_boundaries, rules_lazy
from ..index.facts import CallSite
from ..index.scan import ModuleScanner
from ..index.scan_nodes import is_main_guard
from ..core.nodes import dotted_name
from .loop_driver import DIRECT_RUNNERS, LOOP_FACTORIES
from .solution import (ALREADY_ASYNC, ENTRY_SUFFIX, SYNC_ENTRY, Coloring,
                       resolve_callee)
from ..core.family import Family, Recogniser
from ..index.entities import FunctionId
from ..index.repo_index import call_key
from .recognise_functions import _Functions, _needs_parentheses


# Where a sync function gets the loop it runs a coroutine on (`loop.run_until_complete(coro)`).
LOOP_SOURCES = LOOP_FACTORIES | {"asyncio.get_event_loop"}
# Functions that take a coroutine object, not its result.
CONSUMERS = frozenset({"run", "create_task", "gather", "ensure_future", "wait_for", "shield", "run_until_complete",
                       "run_coroutine_threadsafe", "start_soon"})
# The family's rules in the order the docs list them (rules.py, rules_lazy.py, rules_boundaries.py).
RULES = (rules_async.BECOMES_ASYNC, rules_async.AWAIT_CALL, rules_async.ASYNC_ROUTE, rules_async.ASYNC_TEST,
         rules_async.MAIN_ENTRY, rules_async.BACKGROUND_SESSION, rules_async.STAYS_SYNC, rules_async.LEGACY_BRIDGE,
         rules_lazy.LAZY_LOAD, rules_lazy.ASYNC_ATTRS, rules_lazy.EXPIRE_ON_COMMIT, rules_lazy.REFRESH_AFTER_ROLLBACK,
         rules_lazy.VALIDATE_IN_GREENLET, rules_boundaries.ENGINE_ACROSS_LOOPS, rules_boundaries.LOOP_DRIVER,
         rules_boundaries.BLOCKING_CALL, rules_boundaries.SYNC_ENTRY, rules_boundaries.FIXTURE_BY_NAME)


class ColoringRecogniser(_Functions, Recogniser):
    rules = {rule.code: rule for rule in RULES}

    def visit_Module(self, node: cst.Module) -> None:
        coloring = self.context.coloring
        if not isinstance(coloring, Coloring):
            return
        path = str(self.context.path)
        summary = coloring.index.files.get(path)
        if summary is None:
            return
        self.coloring = coloring
        self.path = path
        self.summary = summary
        self.scanner = ModuleScanner(path, summary.location.module, summary.location.package, self.evidence)
        self.scanner.prepare()
        self._functions()
        self._calls()
        self._entries()
        self._reads()
        self._anyio_backend(node)
        coloring_background.recognise(self)
        coloring_loops.recognise(self, node)
        coloring_loop_driver.recognise(self)
        coloring_blocking.recognise(self)
        fixture_values.recognise(self)
        lazy_loads.recognise(self)

    # -- calls ------------------------------------------------------------------------------------
    def _calls(self) -> None:
        seen: Counter[tuple] = Counter()
        main_calls: dict[int, list[cst.Call]] = {}
        async_methods = {facts.name for function, facts in self.coloring.index.functions()
                         if facts.class_qualname is not None and self.coloring.newly_async(function)}
        for node in self.evidence.parents:
            if not isinstance(node, cst.Call):
                continue
            if self._nested_run(node):
                continue
            site = self.scanner.call_site(node)
            if site.thunk:
                self._bridge_in_lambda(node, site)
                continue  # (a lambda's whole body: the function the lambda is handed to awaits what it returns)
            if site.awaited or self._handed_on(node):
                continue
            key = call_key(site.owner, site.callee, site.awaited)
            seen[key] += 1
            if seen[key] > self.summary.surviving_calls.get(key, 0):
                continue  # another family's rewrite removes this call
            if isinstance(node.func, cst.Name) and site.owner is not None \
                    and node.func.value in self.coloring.callables.awaited.get((self.path, site.owner), ()):
                self._await_parameter(node, site)
                continue
            callee = resolve_callee(self.coloring.index, site, self.path)
            if callee is None:
                possible = self._possible_callees(site)
                legacy = next((function for function in possible if self.coloring.legacy(function)), None)
                if legacy is not None and site.context == "body" and self.will_be_async_here(node):
                    self._bridge(node, site, legacy, runs=True)
                elif possible and all(self.coloring.awaited_after(function) for function in possible):
                    self._await(node, site, possible[0])
                else:
                    self._unresolved(node, site, async_methods)
                continue
            already = self.coloring.verdict(callee) == ALREADY_ASYNC
            if self.coloring.verdict(callee) == SYNC_ENTRY and site.context == "body" and self.will_be_async_here(node):
                self._await_twin(node, callee)
            elif self.coloring.newly_async(callee) or (already and site.context == "main"):
                if site.context == "main":
                    main_calls.setdefault(id(self._main_block(node)), []).append(node)
                else:
                    self._await(node, site, callee)
            elif already and site.used:
                self._await(node, site, callee)
            elif self.coloring.legacy(callee) and site.context == "body" and self.will_be_async_here(node):
                self._bridge(node, site, callee)
        for calls in main_calls.values():
            for call in calls:
                name = _callee_text(call)
                if len(calls) == 1:
                    self.report("F105", call, f"`{name}()` becomes async: the script runs it with asyncio.run()",
                                fixable=True, data=RunMain(call))
                else:
                    self.report("F105", call, f"`{name}()` becomes async",
                                reason="the entry point calls several functions that become async; wrap them in "
                                       "one `async def main()` run by a single asyncio.run()")

    def _nested_run(self, node: cst.Call) -> bool:
        """`asyncio.run(coro())` or `loop.run_until_complete(coro())` on the thread's loop inside a sync function
        that becomes async would start an event loop in the running one (RuntimeError); awaiting the coroutine
        runs it to the end the same way."""
        if not self._runs_to_the_end(node) or len(node.args) != 1 or node.args[0].keyword \
                or node.args[0].star or not isinstance(node.args[0].value, cst.Call):
            return False
        function = self.evidence.enclosing(node, cst.FunctionDef)
        if function is None or function.asynchronous is not None or not self.will_be_async_here(node):
            return False
        owner, context = self.scanner.placement(node)
        message = f"`{_callee_text(node)}()` would start an event loop inside `{function.name.value}`, which becomes async"
        if context != "body":
            self.report("F102", node, message, reason=f"called {context}, where `await` cannot go")
        else:
            self.report("F102", node, message + ": the coroutine is awaited", fixable=True,
                        data=AwaitInsteadOfRun(node, _needs_parentheses(self, node)))
        return True

    def _runs_to_the_end(self, node: cst.Call) -> bool:
        """`asyncio.run(...)`, or `loop.run_until_complete(...)` of a local `loop` the function gets from
        asyncio (`get_event_loop()`, `new_event_loop()`)."""
        if self.evidence.callee_is(node, DIRECT_RUNNERS, ()):
            return True
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "run_until_complete" \
                or not isinstance(func.value, cst.Name):
            return False
        values = self.scanner.bound_values(func.value)
        return bool(values) and all(isinstance(value, cst.Call) and self.evidence.callee_is(value, LOOP_SOURCES, ())
                                    for value in values)

    def _reads(self) -> None:
        names = self.coloring.accessors.names
        if not names:
            return
        for node in self.evidence.parents:
            if not isinstance(node, cst.Attribute) or node.attr.value not in names:
                continue
            read = self.scanner.attribute_read(node)
            if read is None or self.coloring.property_read(read, self.path) is None:
                continue
            text = cst.Module([]).code_for_node(node)
            message = f"`{text}` reads a property that becomes an async method: `await {text}()`"
            if read.context != "body":
                self.report("F102", node, message, reason=f"read {read.context}, where `await` cannot go")
            elif not self.will_be_async_here(node):
                owner = self.evidence.enclosing(node, cst.FunctionDef)
                reason = self.context.async_blocker(owner) if owner is not None else None
                self.report("F102", node, message, reason=reason or "the reading function stays sync")
            else:
                self.report("F102", node, message, fixable=True,
                            data=AwaitRead(node, _needs_parentheses(self, node)))

    def _entries(self) -> None:
        """`with x:` on an instance of a class whose `__enter__`/`__exit__` become async: `async with x:`."""
        for node in self.evidence.parents:
            if not isinstance(node, cst.WithItem):
                continue
            callee = next((found for site in self.scanner.entry_sites(node)
                           if (found := resolve_callee(self.coloring.index, site, self.path)) is not None
                           and self.coloring.newly_async(found)), None)
            if callee is None:
                continue
            statement = self.evidence.parent(node)
            text = cst.Module([]).code_for_node(node.item)
            owner = self.coloring.index.function(callee).class_qualname
            message = f"`{text}` becomes an async context manager ({owner}): enter it with `async with`"
            context = self.scanner.placement(node.item)[1]
            if context != "body":
                self.report("F102", node.item, message, reason=f"entered {context}, where `async with` cannot go")
            elif not self.will_be_async_here(node):
                function = self.evidence.enclosing(node, cst.FunctionDef)
                reason = self.context.async_blocker(function) if function is not None else None
                self.report("F102", node.item, message, reason=reason or "the entering function stays sync")
            elif len(statement.items) > 1:
                self.report("F102", node.item, message, reason="the `with` statement enters other context managers "
                                                               "too; give it an `async with` of its own by hand")
            else:
                self.report("F102", node.item, message, fixable=True, data=AsyncEntry(statement))

    def _await_twin(self, node: cst.Call, callee) -> None:
        name = _callee_text(node)
        twin = callee[1].rpartition(".")[2] + ENTRY_SUFFIX
        message = f"`{name}()` keeps a sync signature for its sync callers (F112), which cannot wait on the event loop"
        module = None
        if isinstance(node.func, cst.Name) and callee[0] != self.path:
            module = self.coloring.index.files[callee[0]].location.module
        elif not isinstance(node.func, (cst.Name, cst.Attribute)):
            self.report("F102", node, message, reason=f"await its async twin `{twin}()` by hand")
            return
        self.report("F102", node, message + f": async code awaits its twin, `await {twin}()`", fixable=True,
                    data=AwaitTwin(node, twin, module, _needs_parentheses(self, node)))

    def _await(self, node: cst.Call, site: CallSite, callee) -> None:
        name = _callee_text(node)
        facts = self.coloring.index.function(callee)
        message = f"`{name}()` is async after migration and must be awaited"
        if site.context != "body":
            self.report("F102", node, message, reason=f"called {site.context}, where `await` cannot go")
            return
        if not self.will_be_async_here(node):
            owner = self.evidence.enclosing(node, cst.FunctionDef)
            reason = self.context.async_blocker(owner) if owner is not None else None
            self.report("F102", node, message, reason=reason or "the calling function stays sync")
            return
        if facts is not None and facts.role == "contextmanager":
            statement = self.evidence.parent(self.evidence.parent(node))
            if site.entered and isinstance(statement, cst.With) and statement.asynchronous is not None:
                return  # `async with cm()` already
            if site.entered and isinstance(statement, cst.With):
                self.report("F102", node, f"`{name}()` becomes an @asynccontextmanager: enter it with `async with`",
                            fixable=True, data=AsyncEntry(statement))
            else:
                self.report("F102", node, message, reason="an @asynccontextmanager is entered with `async with`; "
                                                          "convert this use by hand")
            return
        if facts is not None and (facts.is_generator or callee in self.coloring.generator_overrides):
            # (an abstract `def items(self): ...` overridden by generators runs one of them)
            loop = self.evidence.parent(node)
            if site.iterated and isinstance(loop, (cst.For, cst.CompFor)) and loop.asynchronous is not None:
                return  # `async for` already
            if site.iterated and isinstance(loop, (cst.For, cst.CompFor)):
                self.report("F102", node, f"`{name}()` becomes an async generator: iterate it with `async for`",
                            fixable=True, data=AsyncLoop(loop))
            else:
                self.report("F102", node, message, reason="an async generator is iterated with `async for`, not "
                                                          "awaited; convert this use by hand")
            return
        self.report("F102", node, message, fixable=True, data=AwaitCall(node, _needs_parentheses(self, node)))

    def _await_parameter(self, node: cst.Call, site: CallSite) -> None:
        name = _callee_text(node)
        message = f"`{name}` is handed only functions that become async: `{name}()` must be awaited"
        if site.context != "body" or not self.will_be_async_here(node):
            self.report("F102", node, message, reason="the calling function stays sync")
        else:
            self.report("F102", node, message, fixable=True, data=AwaitCall(node, _needs_parentheses(self, node)))

    def _possible_callees(self, site: CallSite) -> list[FunctionId]:
        """What a call that names no single function may run, when it hands it a session: a constructor
        (`User(session=db)`, `self.model(session=db, **data)` in a generic repository; an `__init__` never becomes
        async), a method of a generic model (`entry.update(session=db)` where `entry: Model`), or any method of that
        name with a session parameter on a receiver nothing types (`plugin.instance.fetch_events(db_session=db)`;
        they share one color, solve._override_groups). Async callers bridge to one that does sync session I/O,
        and await them when every one is awaited after the run."""
        return self.coloring.index.possible_callees(site.callee, self.path) if site.passes_session else []

    def _bridge_in_lambda(self, node: cst.Call, site: CallSite) -> None:
        """`safe_try(lambda: fix(session))` where `fix` stays sync with session I/O and `safe_try` awaits what
        its callable returns: `lambda: call_legacy(session, fix)` (coloring_callables.bridged_in_lambda)."""
        callee = resolve_callee(self.coloring.index, site, self.path)
        if callee is None or not site.passes_session or not self.coloring.legacy(callee):
            return
        handed_to = self.evidence.parent(self.evidence.parent(self.evidence.parent(node)))
        holder = resolve_callee(self.coloring.index, self.scanner.call_site(handed_to), self.path) \
            if isinstance(handed_to, cst.Call) else None
        if holder is not None and self.coloring.callables.awaited.get(holder):
            self._bridge(node, site, callee, awaited=False)

    def _bridge(self, node: cst.Call, site: CallSite, callee, runs: bool = False, awaited: bool = True) -> None:
        name = _callee_text(node)
        reason = self.coloring.reason(callee) or "it stays sync"
        which = f" runs `{callee[1]}`, which" if runs else ""
        message = f"`{name}()`{which} does sync session I/O and stays sync ({reason})"
        # With a starred argument the session's position is unknown until run time: the bridge finds it there.
        starred = any(arg.star for arg in node.args)
        first = site.session_first and not starred
        passed = None if first else next(
            (index for index, arg in enumerate(node.args) if not arg.star and self.evidence.session(arg.value)), None)
        if not first and passed is None:
            self.report("F108", node, message, reason="sqlasync cannot tell which argument is the session: call it "
                                                      "through `await call_legacy(db, fn, ...)` by hand, or migrate it")
            return
        self.report("F108", node, message + "; call it through the compat bridge", fixable=True,
                    data=Bridge(node, _needs_parentheses(self, node), passed, awaited))

    def _unresolved(self, node: cst.Call, site: CallSite, async_methods: set[str]) -> None:
        if site.method in async_methods and site.passes_session and site.context == "body" \
                and self.will_be_async_here(node):
            self.report("F102", node, f"`{_callee_text(node)}()` may call a method that becomes async",
                        reason="sqlasync cannot tell which class the receiver is; annotate it, or await by hand")

    def _handed_on(self, node: cst.Call) -> bool:
        """`asyncio.run(main())`, `create_task(f())`, `gather(...)`: the coroutine is meant to be handed on."""
        arg = self.evidence.parent(node)
        consumer = self.evidence.parent(arg) if isinstance(arg, cst.Arg) else None
        return isinstance(consumer, cst.Call) and (dotted_name(consumer.func) or "").rsplit(".", 1)[-1] in CONSUMERS

    def _main_block(self, node: cst.CSTNode) -> cst.CSTNode | None:
        current = self.evidence.parent(node)
        while current is not None and not is_main_guard(current):
            current = self.evidence.parent(current)
        return current


def _callee_text(call: cst.Call) -> str:
    return cst.Module([]).code_for_node(call.func)


FAMILY = Family(
    prefix="F",
    name="coloring",
    rules=RULES,
    recogniser=ColoringRecogniser,
    # Which files call or define functions whose color changes is the index's answer (`Coloring.interesting`),
    # not a byte pattern's; these are the sites that need no index: an entry point (F105), background tasks
    # (F106), async session factories (F203), rollbacks (F204) and event-loop drivers (F110).
    triggers=lambda config: ((rb"__main__",), (rb"\badd_task\b",), (rb"sessionmaker",),
                             (rb"\b(?:rollback|expire_all)\b",), (rb"run_until_complete|\basyncio\b",)),
    rewrite=rewrite,
)
