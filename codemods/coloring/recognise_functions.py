"""Functions the coloring makes async, keeps sync or makes sync entries, and their roles (ColoringRecogniser)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ..core.functions import qualname_of
from ..index.facts import CONTEXT_METHODS
from ..index.scan_nodes import own_nodes
from ..session import loop_scope
from .plan import AnyioBackend, MakeAsync, SyncEntry
from .solution import BECOMES, CONVERTED, ENTRY_SUFFIX, NOT_NEEDED, STAYS_SYNC, SYNC_ENTRY

if TYPE_CHECKING:
    from .recogniser import ColoringRecogniser


ROLE_CODES = {"route": "F103", "handler": "F103", "dependency": "F103", "test": "F104", "fixture": "F104"}


class _Functions:
    """Functions the coloring makes async, keeps sync or makes sync entries, and their roles (ColoringRecogniser)."""

    # -- functions --------------------------------------------------------------------------------
    def _functions(self) -> None:
        for node in self.evidence.parents:
            if not isinstance(node, cst.FunctionDef) or node.asynchronous is not None:
                continue
            function = (self.path, qualname_of(node, self.evidence.parents))
            verdict = self.coloring.verdict(function)
            role = self.coloring.roles.get(function)
            # (a sync def that awaits already, as another family's rewrite left it, needs async like a seed)
            if verdict == SYNC_ENTRY or (function in self.coloring.entries and verdict == NOT_NEEDED and _awaits(node)):
                twin = node.name.value + ENTRY_SUFFIX
                if twin in self._async_siblings(node):
                    continue  # split already (the run looks at its own output again)
                self.report("F112", node.name, f"`{node.name.value}` awaits after migration but must stay sync "
                            f"({self.coloring.entries[function]}): its body becomes `async def {twin}`, which it "
                            "runs with compat's run_from_sync", fixable=True, data=SyncEntry(node, twin))
            elif verdict == BECOMES and self.coloring.becomes_method(function):
                cached = function in self.coloring.accessors.cached
                kept = ", its result still kept per instance (compat's cached_per_instance)" if cached else ""
                self.report("F101", node.name, f"property `{node.name.value}` awaits after migration: it becomes "
                            f"an async method, read as `await obj.{node.name.value}()`{kept}", fixable=True,
                            data=MakeAsync(node, role, accessor=True, cached=cached))
            elif verdict == BECOMES or (verdict != CONVERTED and _awaits(node)):
                code = ROLE_CODES.get(role, "F101")
                self.report(code, node.name, self._becomes_message(node, role), fixable=True,
                            data=MakeAsync(node, role, loop_scope=self._loop_scope(function, role)))
            elif verdict == STAYS_SYNC:
                reason = self.coloring.reason(function) or "it cannot become async"
                self.report("F107", node.name, f"`{node.name.value}` needs async but stays sync: {reason}",
                            reason=f"{reason}; see `sqlasync explain F107` for the fix by hand")

    def _async_siblings(self, function: cst.FunctionDef) -> set[str]:
        """The `async def`s defined beside `function` (in its module or class body)."""
        block = self.evidence.parent(function)
        return {statement.name.value for statement in getattr(block, "body", ())
                if isinstance(statement, cst.FunctionDef) and statement.asynchronous is not None}

    def _loop_scope(self, function, role: str | None) -> str | None:
        if self.context.config.test_async_marker != "pytest-asyncio" or role not in ("test", "fixture"):
            return None
        return loop_scope(self.coloring, function)

    def _anyio_backend(self, module: cst.Module) -> None:
        """The file where the anyio plugin learns which backend the migrated async tests use (see F104)."""
        if self.context.config.test_async_marker != "anyio" or self.path not in self.coloring.anyio_homes():
            return
        if any(isinstance(s, cst.FunctionDef) and s.name.value == "anyio_backend" for s in module.body) \
                or not module.body:
            return
        self.report("F104", module.body[0], "the migrated async tests and fixtures here run on anyio's pytest plugin; "
                    "it needs a session-scoped `anyio_backend` fixture", fixable=True, data=AnyioBackend())

    def _becomes_message(self, node: cst.FunctionDef, role: str | None) -> str:
        if role == "context-method":
            return (f"`{node.name.value}` awaits after migration (or its twin does): it becomes `async def "
                    f"{CONTEXT_METHODS[node.name.value]}`, and its class an async context manager")
        what = {"route": "route handler", "handler": "exception handler", "dependency": "FastAPI dependency",
                "test": "test", "fixture": "fixture"}.get(role, "function")
        return f"{what} `{node.name.value}` awaits after migration and must become `async def`"

    def becomes_async(self, function: cst.FunctionDef) -> bool:
        """Does this run make `function` async (here, or by another family's rewrite)? The same answer before
        the rewrites (`check`) as after them (`migrate`), where another family's function is async already."""
        verdict = self.coloring.verdict((self.path, qualname_of(function, self.evidence.parents)))
        return verdict in (BECOMES, CONVERTED, SYNC_ENTRY) or (function.asynchronous is None and _awaits(function))

    def parenthesize(self, node: cst.Call | cst.Attribute) -> bool:
        """Does `await node` need parentheses where node stands (`(await f()).x`)?"""
        return _needs_parentheses(self, node)

    def will_be_async_here(self, node: cst.CSTNode) -> bool:
        function = self.evidence.enclosing(node, cst.FunctionDef)
        return function is not None and (
            function.asynchronous is not None or self.context.will_be_async(function) or _awaits(function))


def _awaits(function: cst.FunctionDef) -> bool:
    """The body already holds an await another family wrote (the function must follow, whatever the index says)."""
    for node in own_nodes(function):
        if isinstance(node, cst.Await) or (isinstance(node, (cst.With, cst.For, cst.CompFor))
                                           and node.asynchronous is not None):
            return True
    return False


def _needs_parentheses(recogniser: ColoringRecogniser, call: cst.Call | cst.Attribute) -> bool:
    parent = recogniser.evidence.parent(call)
    if isinstance(parent, cst.Attribute) and parent.value is call:
        return True
    if isinstance(parent, cst.Subscript) and parent.value is call:
        return True
    return isinstance(parent, cst.Call) and parent.func is call
