"""Why one function cannot become async, or may stay a sync entry point (solve.py asks)."""

from __future__ import annotations

from ..index import callables as coloring_callables
from ..index.facts import CONTEXT_METHODS, FunctionFacts
from ..index.entities import FunctionId
from ..session import chain_reason
from .solution import ASYNC_FRIENDLY, ENTRY_SUFFIX, Caller, Coloring


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
    chain = chain_reason(coloring, function, facts)
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


def _caller_problem(caller: Caller) -> str | None:
    if caller.site.context in ("body", "main") or caller.site.thunk:
        return None  # (a lambda handing the coroutine on: the lambda's value use decides, see _local_reason)
    return f"it is called {caller.site.context} at {caller.path}:{caller.site.line}, where `await` cannot go"
