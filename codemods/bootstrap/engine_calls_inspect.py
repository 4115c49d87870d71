"""E108: `inspect(engine)` and the inspector it gives, run on a connection (EngineCalls)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ..core.await_sites import await_problem
from ..core.nodes import dotted_name, metadata_value
from .engine_calls_plan import INSPECT, InspectSite


class _Inspectors:
    """E108: `inspect(engine)` and the inspector it gives, run on a connection (EngineCalls)."""

    # -- E108 ---------------------------------------------------------------------------------
    def _inspect(self, node: cst.Call) -> None:
        engine = dotted_name(node.args[0].value) or "engine"
        message = f"`inspect({engine})` cannot inspect the async engine"
        self.recogniser.report_plan("E108", node, message, self._inspect_plan(node, engine))

    def _inspect_plan(self, node: cst.Call, engine: str) -> InspectSite | str:
        if len(node.args) != 1 or node.args[0].keyword is not None:
            return "`inspect()` takes the engine alone; convert by hand"
        use = _method_call(self.evidence, node)
        last = None
        if use is not None:
            uses: tuple[cst.Call, ...] = (use,)
            statement = self._statement(use)
        else:
            found = self._inspector_variable(node)
            if isinstance(found, str):
                return found
            statement, uses, last = found
        if isinstance(statement, str):
            return statement
        engines = {dotted_name(call.args[0].value) for call in m.findall(statement, m.Call(args=[m.Arg()]))
                   if self.evidence.callee_is(call, INSPECT, ()) and self.is_engine(call.args[0].value)}
        if len(engines) > 1:
            return "the statement inspects more than one engine; give each its own statement, or convert by hand"
        for call in uses:
            problem = await_problem(self.context, call)
            if problem:
                return problem
            if m.findall(call, m.Lambda() | m.Await() | m.Yield()):
                return "the inspector call's arguments hold a lambda, await or yield; convert by hand"
        function = self.evidence.enclosing(statement, cst.FunctionDef)
        taken = {n.value for n in m.findall(function, m.Name())} if function is not None else set()
        connection = next((n for n in ("conn", "connection", "async_conn") if n not in taken), None)
        sync_connection = next((n for n in ("sync_conn", "sync_connection") if n not in taken), None)
        if connection is None or sync_connection is None:
            return "the names `conn`/`connection` and `sync_conn` are all taken here; convert by hand"
        inspect = cst.Module([]).code_for_node(node.func)
        parenthesized = frozenset(id(call) for call in uses if _needs_parentheses(self.evidence, call))
        return InspectSite(statement, uses, engine, connection, sync_connection, inspect, parenthesized, last)

    def _statement(self, node: cst.CSTNode) -> cst.SimpleStatementLine | str:
        current = self.evidence.parent(node)
        while current is not None and not isinstance(current, cst.BaseStatement):
            current = self.evidence.parent(current)
        if isinstance(current, cst.SimpleStatementLine) and len(current.body) == 1 and \
                isinstance(self.evidence.parent(current), cst.IndentedBlock):
            return current
        return ("the inspector is used in a compound statement's header or a one-line block; move the call to "
                "a statement of its own, or convert by hand")

    def _inspector_variable(self, node: cst.Call):
        """`insp = inspect(engine)` followed, in the same block, by statements that only call its methods."""
        assign = self.evidence.parent(node)
        statement = self.evidence.parent(assign)
        kept = ("the Inspector is kept or passed on; run the code that uses it through `await "
                "conn.run_sync(fn)` by hand (fn receives the sync connection and calls `inspect()` on it)")
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target,
                                                                                          cst.Name)
                and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return kept
        block = self.evidence.parent(statement)
        if not isinstance(block, cst.IndentedBlock):
            return kept
        name = assign.targets[0].target.value
        scope = metadata_value(self.evidence.scopes, assign.targets[0].target)
        if scope is None or len(scope[name]) != 1:
            return "the inspector's name is bound more than once; convert by hand"
        accesses = [a.node for a in next(iter(scope[name])).references]
        uses = []
        for access in accesses:
            attribute = self.evidence.parent(access)
            call = self.evidence.parent(attribute)
            if not (isinstance(attribute, cst.Attribute) and attribute.value is access
                    and isinstance(call, cst.Call) and call.func is attribute):
                return kept
            uses.append(call)
        if not uses:
            return "the inspector is never used; remove it by hand"
        index = list(block.body).index(statement)
        last = None
        for call in uses:
            holder = call
            while holder is not None and self.evidence.parent(holder) is not block:
                holder = self.evidence.parent(holder)
            if holder is None or list(block.body).index(holder) <= index:
                return kept
            position = list(block.body).index(holder)
            last = holder if last is None or position > list(block.body).index(last) else last
        return statement, tuple(uses), last


def _method_call(evidence, node: cst.Call) -> cst.Call | None:
    """`inspect(engine).method(...)`: the method call, or None when the inspector is used otherwise."""
    attribute = evidence.parent(node)
    call = evidence.parent(attribute)
    if isinstance(attribute, cst.Attribute) and attribute.value is node and isinstance(call, cst.Call) \
            and call.func is attribute:
        return call
    return None


def _needs_parentheses(evidence, call: cst.Call) -> bool:
    parent = evidence.parent(call)
    if isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is call:
        return True
    return isinstance(parent, cst.Call) and parent.func is call
