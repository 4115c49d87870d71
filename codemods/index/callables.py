"""Callables handed to a function that calls them: `publish_events(self.publish_event, items)`.

A function that receives a callable and does nothing with it but call it (or hand it on to another such
function) runs whatever it is handed. When the functions handed to that parameter become async, the
call must be awaited and the receiving function becomes async itself; the handing over is then no reason
to keep those functions sync (F102 on the call, F101 on the receiver). This holds only where the flow is
known completely:

- the parameter is only called, `p(...)`, as a statement or a value the function keeps (never handed to
  `create_task(p())` and the like), or handed on as an argument, never stored, returned or read otherwise,
  and never inside a closure, lambda or generator expression (they could not await for the function);
- every call of the receiving function passes the parameter, each time a function of the repository
  (`fn`, `self.method`), a local holding what a factory of the repository returns (`publisher = make(bus)`
  where `make` returns a function it defines), or a parameter of the caller that is itself such a slot; the
  receiving function is never used as a value itself.

When the functions that reach a called parameter disagree (one becomes async, another stays sync) or the
receiver cannot become async, the ones that would become async stay sync instead, with the reason.

`scan` records per function which parameters qualify (ModuleFacts.callable_slots); `analyse` builds the
flow over the repository once per solve; `conflicts` and `awaited` read it against the colors.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import libcst as cst

from ..core.functions import qualname_of
from .scan_nodes import argument_slot
from ..core.nodes import nodes_under

# What reading from a callable tells about it without running it.
DESCRIBING_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__module__", "__doc__"})
# A parameter slot: (function, parameter name).
Slot = tuple[tuple[str, str], str]


@dataclass(frozen=True)
class CallableParam:
    """A parameter its function only calls or hands on: how it can be passed, and where it goes."""

    name: str
    position: int | None            # among the positional parameters (self included); None: keyword-only
    called: bool                    # the function calls it itself
    handed: tuple[tuple[object, str | None], ...] = ()  # (callee expression, position or keyword) it is passed to


# -- per module ---------------------------------------------------------------------------------------

def scan(facts, parents, scanner) -> None:
    """Fill `facts.callable_slots`: function qualname -> the parameters it only calls or hands on."""
    for node in parents:
        if isinstance(node, cst.FunctionDef) and node.asynchronous is None:
            found = _callable_params(node, parents, scanner)
            if found:
                facts.callable_slots[qualname_of(node, parents)] = found


def _callable_params(function: cst.FunctionDef, parents, scanner) -> tuple[CallableParam, ...]:
    positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    keyword_only = [p.name.value for p in function.params.kwonly_params]
    uses: dict[str, list] = {name: [] for name in (*positional, *keyword_only)}
    for node in nodes_under(function.body):
        if isinstance(node, cst.Name) and node.value in uses and uses[node.value] is not None \
                and _is_read(node, parents):
            use = _use(node, function, parents, scanner)
            if use is None:
                uses[node.value] = None
            else:
                uses[node.value].append(use)
    found = []
    for name, found_uses in uses.items():
        if not found_uses:
            continue
        handed = tuple(use for use in found_uses if use not in ("call", "read"))
        found.append(CallableParam(name, positional.index(name) if name in positional else None,
                                   "call" in found_uses, handed))
    return tuple(found)


def _is_read(name: cst.Name, parents) -> bool:
    parent = parents.get(name)
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return False
    if isinstance(parent, cst.Arg) and parent.keyword is name:
        return False
    return not isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias))


def _use(name: cst.Name, function: cst.FunctionDef, parents, scanner):
    """"call" for `p(...)` whose result is not handed to another call, (callee, slot) for `g(..., p, ...)`,
    "read" for `p.__name__` and the like, None for anything else (the callable escapes where its calls cannot be
    followed)."""
    current = parents.get(name)
    while current is not None and current is not function:
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.GeneratorExp, cst.ClassDef)):
            return None
        current = parents.get(current)
    parent = parents.get(name)
    if isinstance(parent, cst.Attribute) and parent.value is name and parent.attr.value in DESCRIBING_ATTRIBUTES:
        return "read"  # (`func.__name__` in a log line: it names the callable, it does not run it)
    if isinstance(parent, cst.Call) and parent.func is name:
        # `create_task(p())`, `run(p())`: the result is meant for a consumer, which an `await` would take from it.
        return None if isinstance(parents.get(parent), (cst.Arg, cst.Await)) else "call"
    if isinstance(parent, cst.Arg) and parent.value is name and not parent.star:
        call = parents.get(parent)
        slot = argument_slot(call, parent) if isinstance(call, cst.Call) else None
        if slot is not None:
            return scanner.expr(call.func), slot
    return None


# -- whole repository ---------------------------------------------------------------------------------

@dataclass
class Callables:
    """The complete flows of functions into parameters that are called."""

    # Value uses (path, use) that hand a function into a complete flow: no reason to keep it sync.
    harmless: set = field(default_factory=set)
    # function -> the called slots it reaches; called slot -> the functions that reach it.
    reaches: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    # Called slots whose call is awaited after the run: function -> parameter names (set by `awaited`).
    awaited: dict = field(default_factory=dict)
    # slot -> functions that reach it only in lambdas handing on a call with a session (`lambda: fix(session)`):
    # when such a function stays sync with session I/O, the lambda bridges it and returns a coroutine too.
    bridgeable: dict = field(default_factory=dict)

    def holders(self, function) -> set:
        """Functions whose call of a parameter receives `function`."""
        return {slot[0] for slot in self.reaches.get(function, ())}


def analyse(index, callers, values) -> Callables:
    """The flows into every parameter slot of the repository, before any color is known: which slots are closed
    (every call passes a function the flow can name), which functions reach each called one."""
    slots = _slots(index)
    if not slots:
        return Callables()
    # slot -> what lands in it: ("function", function, (path, use)) or ("slot", slot handing it on, None)
    into: dict[Slot, list[tuple]] = defaultdict(list)
    open_slots: set[Slot] = set()
    handoffs = set()
    for slot, param in slots.items():
        for callee, where in param.handed:
            handoffs.add((slot[0][0], slot[0][1], callee, where))
            onward = _slot_of(index, slots, callee, where, slot[0][0])
            if onward is None:
                open_slots.add(slot)  # handed to something whose calls cannot be followed
            else:
                into[onward].append(("slot", slot, None))
    receivers = {function[1].rpartition(".")[2] for function, _ in slots}
    for path, summary in index.files.items():
        for use in summary.facts.values:
            if use.callee is None or _last_name(use.callee) not in receivers:
                continue  # (resolving every callee of the repository would cost more than this whole analysis)
            slot = _slot_of(index, slots, use.callee, use.slot, path)
            if slot is None or (path, use.owner, use.callee, use.slot) in handoffs:
                continue
            target = index.resolve(use.target, path)
            if target is not None and target[0] == "function":
                into[slot].append(("function", (target[1], target[2]), (path, use)))
            else:
                open_slots.add(slot)
    for slot in slots:
        function = slot[0]
        if values.get(function) or len(into[slot]) != len(callers.get(function, ())):
            open_slots.add(slot)  # some call passes something else, or nothing, or the function escapes
    _spread_open(slots, into, open_slots)
    callables = Callables()
    for slot, incoming in into.items():
        if slot in open_slots:
            continue
        callables.harmless.update(where for kind, _, where in incoming if kind == "function")
        by_function = defaultdict(list)
        for kind, source, where in incoming:
            if kind == "function":
                by_function[source].append(where[1])
        callables.bridgeable[slot] = {function for function, uses in by_function.items()
                                      if all(use.session_args for use in uses)}
        if slots[slot].called:
            functions = _reaching(slot, into)
            callables.sources[slot] = functions
            for function in functions:
                callables.reaches.setdefault(function, set()).add(slot)
    return callables


def factory_returns_harmless(index, callers, values, function, use) -> bool:
    """`return inner` by the function that defines `inner`: harmless when every call of that factory binds
    its result to a local name (whose uses are value uses and calls the flow follows)."""
    factory = (function[0], use.owner) if use.owner is not None else None
    if factory is None or use.detail != "returned as a value" or not function[1].startswith(f"{use.owner}.<locals>."):
        return False
    sites = callers.get(factory, ())
    return bool(sites) and not values.get(factory) and all(caller.site.bound for caller in sites)


def _last_name(expr) -> str | None:
    """The name a callee expression ends in: `publish_all`, `events.publish_all`, `self.bus.publish`."""
    if expr[0] == "name":
        return expr[1].rpartition(".")[2]
    if expr[0] == "attr":
        return expr[2]
    if expr[0] == "def":
        return expr[2].rpartition(".")[2]
    return None


def _slots(index) -> dict[Slot, CallableParam]:
    slots = {}
    for path, summary in index.files.items():
        for qualname, params in summary.facts.callable_slots.items():
            for param in params:
                slots[((path, qualname), param.name)] = param
    return slots


def _slot_of(index, slots, callee, where: str | None, path: str) -> Slot | None:
    """The slot of a parameter that an argument passed at `where` to a call of `callee` lands in."""
    if callee is None or where is None:
        return None
    entity = index.resolve(callee, path)
    if entity is None or entity[0] != "function":
        return None
    function = (entity[1], entity[2])
    facts = index.function(function)
    if facts is None:
        return None
    if where.isdigit():
        # `obj.method(x)`: x is the parameter after `self`.
        offset = 1 if facts.class_qualname is not None and "staticmethod" not in facts.decorators else 0
        position = int(where) + offset
        found = next((param for (owner, _), param in slots.items()
                      if owner == function and param.position == position), None)
    else:
        found = slots.get((function, where))
    return (function, found.name) if found is not None else None


def _spread_open(slots, into, open_slots: set) -> None:
    """Slots joined by a handing on share their fate: what an open slot receives reaches the slots it feeds,
    and what a slot hands to an open one is called where the flow cannot follow it."""
    joined: dict[Slot, set[Slot]] = defaultdict(set)
    for slot, incoming in into.items():
        for kind, source, _ in incoming:
            if kind == "slot":
                joined[slot].add(source)
                joined[source].add(slot)
    stack = [slot for slot in open_slots if slot in slots]
    while stack:
        for neighbour in joined[stack.pop()]:
            if neighbour not in open_slots:
                open_slots.add(neighbour)
                stack.append(neighbour)


def _reaching(slot: Slot, into) -> frozenset:
    found, seen, stack = set(), {slot}, [slot]
    while stack:
        for kind, source, _ in into[stack.pop()]:
            if kind == "function":
                found.add(source)
            elif source not in seen:
                seen.add(source)
                stack.append(source)
    return frozenset(found)


def conflicts(coloring, sync_on_the_loop) -> dict:
    """Functions that would become async although a called parameter they reach cannot await them: its
    function stays sync, or another function reaching it stays sync (one call cannot both await and not);
    and sync entries (F112) that such a parameter calls on the event loop's thread, where they cannot wait
    for their own bodies. `sync_on_the_loop(coloring)` gives the functions that stay sync on that thread."""
    refused = {}
    on_loop = None
    for slot, functions in coloring.callables.sources.items():
        holder, param = slot
        where = f"`{holder[1]}` ({holder[0]}) calls it through its parameter `{param}`"
        entries = [f for f in functions if coloring.entry_after(f)]
        if entries and not coloring.async_after(holder) and on_loop is None:
            on_loop = sync_on_the_loop(coloring)
        if entries and (coloring.async_after(holder) or holder in on_loop):
            for function in entries:
                refused.setdefault(function, f"{where} on the event loop's thread, where its sync entry could "
                                             "not wait for it")
        fresh = [f for f in functions if coloring.newly_async(f)]
        if not fresh:
            continue
        if not coloring.async_after(holder):
            why = coloring.reason(holder) or "it stays sync"
            reason = f"{where}, and `{holder[1]}` stays sync: {why}"
        else:
            sync = sorted(f[1] for f in functions if not _runs_async(coloring, slot, f))
            if not sync:
                continue
            reason = f"{where}, which also receives `{sync[0]}`, a function that stays sync"
        for function in fresh:
            refused.setdefault(function, reason)
    return refused


def awaited(coloring) -> dict:
    """Called parameters that receive only functions callers await after the run: function -> names."""
    found: dict = defaultdict(set)
    for (holder, param), functions in coloring.callables.sources.items():
        slot = (holder, param)
        if functions and coloring.async_after(holder) and all(_runs_async(coloring, slot, f) for f in functions) \
                and any(coloring.newly_async(f) for f in functions):
            found[holder].add(param)
    return dict(found)


def bridged_in_lambda(coloring, slot, function) -> bool:
    """Does `function` reach `slot` only in lambdas that bridge it (it stays sync with session I/O)?"""
    return function in coloring.callables.bridgeable.get(slot, ()) and coloring.legacy(function)


def _runs_async(coloring, slot, function) -> bool:
    """What calling `function` through the slot gives must be awaited: it is async, or a lambda bridges it."""
    return coloring.awaited_after(function) or bridged_in_lambda(coloring, slot, function)
