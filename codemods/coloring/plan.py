"""What the F rewrite does to one site; the recogniser (recogniser.py) decides, `rewrite.py` applies."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class MakeAsync:
    function: cst.FunctionDef
    role: str | None
    accessor: bool = False     # a @property getter: it loses the decorator and becomes a method
    cached: bool = False       # ... a cached_property's, whose decorator becomes compat's cached_per_instance
    # pytest-asyncio: the event loop the test or fixture must share with the wider fixtures it requests.
    loop_scope: str | None = None


@dataclass(frozen=True)
class SyncEntry:
    """A function that must keep its sync signature: its body moves into `async def <twin>`, which it runs to the
    end with compat's `run_from_sync`."""

    function: cst.FunctionDef
    twin: str


@dataclass(frozen=True)
class AwaitTwin:
    """`entry(...)` from code that is async after the run: `await entry_async(...)` (the sync entry would wait for
    its body on the loop that must run it). `module` is where the twin is imported from when the call names an
    imported function."""

    call: cst.Call
    twin: str
    module: str | None
    parenthesize: bool


@dataclass(frozen=True)
class AwaitRead:
    """`obj.name` of a property that becomes an async method: `await obj.name()`."""

    attribute: cst.Attribute
    parenthesize: bool


@dataclass(frozen=True)
class AnyioBackend:
    """Give the module the session-scoped `anyio_backend` fixture."""


@dataclass(frozen=True)
class AwaitCall:
    call: cst.Call
    parenthesize: bool


@dataclass(frozen=True)
class AwaitInsteadOfRun:
    """`asyncio.run(coro())` in a function that becomes async: the loop already runs, so `await coro()`."""

    run: cst.Call
    parenthesize: bool


@dataclass(frozen=True)
class AsyncLoop:
    loop: cst.For | cst.CompFor


@dataclass(frozen=True)
class AsyncEntry:
    """`with cm() as x:` where `cm` becomes an @asynccontextmanager: the statement becomes `async with`."""

    statement: cst.With


@dataclass(frozen=True)
class RunMain:
    call: cst.Call


@dataclass(frozen=True)
class Bridge:
    call: cst.Call
    parenthesize: bool
    # Where the call passes its session when that is not its first positional argument (an index into its
    # arguments): the arguments then stay as they are, and the bridge puts the sync session there.
    session_argument: int | None = None
    # False in a lambda handing the bridge's coroutine to a function that awaits what the lambda returns.
    awaited: bool = True
