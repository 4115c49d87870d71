"""Methods that build a legacy Query and return it for the other methods of their class to finish.

    def _jobs(self):                                  def _jobs(self):
        query = self.db.query(Job)                        query = select(Job)
        ...                                               ...
        return query                                      return query

    def total(self):                                  async def total(self):
        return self._jobs().count()                       return await self.db.scalar(
                                                              select(func.count()).select_from(self._jobs().subquery()))

The method keeps building the query and returns a `Select` (it does no I/O and stays sync); each call
`self.<method>()...<terminal>` runs that statement on the session the method queried (`self.<attr>`,
the same object wherever `self` is). Safe when the repository index shows every call of the method:
all are `self.<method>()` in its own module whose chain ends in a terminal Q101 converts, none uses the
method as a value, no subclass overrides it, and every function holding such a call becomes async.
Otherwise the method's query is left, with the reason (returned, so its callers finish it).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..core.functions import own_nodes
from .chain import Unsupported, read_chain
from .statements import History


# What a caller may do with the returned query: run it (or embed it in a statement it runs).
FINISHING = frozenset({"all", "first", "one", "one_or_none", "scalar", "count", "iterate", "list", "index",
                       "slice"})


@dataclass(frozen=True)
class Helper:
    """What the callers of a query-returning method need: the session and what its query already holds."""

    function: cst.FunctionDef
    session: cst.BaseExpression
    entities: tuple[cst.Arg, ...]
    steps: tuple


class QueryHelpers:
    """The query-returning methods of one module and the calls that finish their queries, as far as the module
    shows (the coloring decides over the whole repository)."""

    def __init__(self, evidence, flows) -> None:
        self.evidence = evidence
        self.flows = flows
        self._helpers: dict[int, Helper | Unsupported | None] = {}

    def helper(self, function: cst.FunctionDef) -> Helper | Unsupported | None:
        """None: `function` returns no `self.<attr>.query(...)`."""
        key = id(function)
        if key not in self._helpers:
            self._helpers[key] = self._helper(function)
        return self._helpers[key]

    def _helper(self, function: cst.FunctionDef) -> Helper | Unsupported | None:
        origin = next((node for node in own_nodes(function) if self._is_origin(node)), None)
        if origin is None or not self._is_method(function):
            return None
        if function.asynchronous is not None or function.name.value == "query" or len(
                [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]) != 1 \
                or function.params.star_arg not in (None, cst.MaybeSentinel.DEFAULT) or function.params.star_kwarg:
            return Unsupported("only a sync method without parameters besides `self` hands its query to the other "
                               "methods of its class")
        session = origin.func.value
        if not (isinstance(session, cst.Attribute) and isinstance(session.value, cst.Name)
                and session.value.value == "self"):
            return Unsupported("the query's session is not an attribute of `self`, which its callers could not reach")
        conversion = self.flows.convert(origin)
        if isinstance(conversion, Unsupported):
            return conversion
        returns = [node for node in own_nodes(function) if isinstance(node, cst.Return)]
        returned = {id(node) for node in conversion.returned}
        if not returns or any(id(node.value) not in returned for node in returns):
            return Unsupported("the method does not return its query on every path")
        return Helper(function, session, conversion.entities, conversion.steps)

    def _is_origin(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "query" \
            and self.evidence.session(node.func.value) is not None

    def _is_method(self, function: cst.FunctionDef) -> bool:
        block = self.evidence.parent(function)
        return isinstance(block, cst.IndentedBlock) and isinstance(self.evidence.parent(block), cst.ClassDef)

    def called(self, call: cst.Call) -> cst.FunctionDef | None:
        """The method of the caller's own class that `self.<name>()` calls, if it returns a legacy query."""
        func = call.func
        if call.args or not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                             and func.value.value == "self"):
            return None
        cls = self.evidence.enclosing(call, cst.ClassDef)
        if cls is None:
            return None
        for statement in cls.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == func.attr.value:
                return statement if self.helper(statement) is not None else None
        return None

    def finish(self, call: cst.Call):
        """The conversion of the chain that finishes a helper's query at `call` (None: not a helper call)."""
        from .flow import Conversion, Site

        function = self.called(call)
        if function is None:
            return None
        helper = self.helper(function)
        if isinstance(helper, Unsupported):
            return helper
        chain = read_chain(call, self.evidence.parents)
        if isinstance(chain, Unsupported):
            return chain
        if chain.use.kind not in FINISHING:
            return Unsupported(f"the query `{function.name.value}()` returns is not run where it is called")
        plan = self.flows.planner.plan(chain, History(helper.session, helper.entities, helper.steps))
        if isinstance(plan, Unsupported):
            return plan
        conversion = Conversion((Site(chain.use.node, plan),))
        problem = self.flows.target_problem(conversion, [helper.session])
        return Unsupported(problem) if problem else conversion


def describe(chain_node: cst.BaseExpression, function: cst.FunctionDef) -> str:
    code = cst.Module([]).code_for_node(chain_node)
    shown = code if len(code) <= 60 and "\n" not in code else f"self.{function.name.value}()..."
    return f"legacy Query API `{shown}` (the query `{function.name.value}()` returns)"
