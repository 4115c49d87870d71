"""One asyncpg call: its SQL as `text()` or as the driver's, and what its result becomes (_Planner)."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment

from ..coloring import driven_call
from ..core.nodes import metadata_value, string_value
from .sql import (BoundSql, UnsafeForText, bind_sql, highest_parameter, lexes, reads_as_text, statement_count,
                  usable_bind_name)
from .units import DriverSql, Query, Site, TextSql, Unconvertible


class _Calls:
    """One asyncpg call: its SQL as `text()` or as the driver's, and what its result becomes (_Planner)."""

    # -- one call ------------------------------------------------------------------------------
    def _query(self, site: Site, function: cst.FunctionDef) -> Query:
        call, method = site.call, site.call.func.attr.value
        # `run(pool.fetchval(...))` in a user of a loop driver becomes `await pool.fetchval(...)` (F110).
        driven = driven_call(self.context, call)
        awaited = driven or self.evidence.parent(call)
        if not isinstance(awaited, cst.Await) and driven is None:
            raise Unconvertible("the call is not awaited here (its coroutine is passed on), so no statement can "
                                "hold the session")
        keywords = [f"`{a.keyword.value}=`" for a in call.args if a.keyword is not None]
        if keywords:
            raise Unconvertible(f"{', '.join(keywords)}: no direct SQLAlchemy equivalent here")
        if not call.args or any(a.star for a in call.args):
            raise Unconvertible("its arguments are starred or missing, so the parameters cannot be matched")
        sql_node, arguments = call.args[0].value, [a.value for a in call.args[1:]]
        rows = None
        if method == "executemany":
            if len(arguments) != 1:
                raise Unconvertible("`executemany` takes the SQL and one iterable of argument tuples")
            rows, arguments = arguments[0], []
        sql = self._sql_value(sql_node)
        if lexes(sql) and statement_count(sql) > 1:
            raise Unconvertible("it runs a script of several statements, which asyncpg sends through the simple "
                                "query protocol while SQLAlchemy prepares each statement; split it into one call "
                                "per statement")
        row_names = self._row_shape(rows, sql) if rows is not None else ()
        if rows is None and lexes(sql) and highest_parameter(sql) != len(arguments):
            raise Unconvertible(f"it passes {len(arguments)} argument(s) for SQL whose highest parameter is "
                                f"${highest_parameter(sql)}")
        names = self._bind_names(arguments, row_names)
        form: TextSql | DriverSql
        if isinstance(sql_node, cst.Name):
            bound = self._constant_for_text(sql_node, sql)
            form = TextSql(bound) if bound is not None else DriverSql(
                f"`{sql_node.value}` holds `$n` parameters and may be used elsewhere, so it runs unchanged")
        else:
            try:
                form = TextSql(bind_sql(sql_node, sql, lambda index: names[index - 1] if index <= len(names)
                                        else f"p{index}"))
            except UnsafeForText as unsafe:
                form = DriverSql(str(unsafe))
        if method == "executemany" and self.evidence.parent(awaited) is not None and not isinstance(
                self.evidence.parent(awaited), cst.Expr):
            raise Unconvertible("the result of `executemany` (always None) is used")
        flow = self.flows.follow(awaited, method)
        if flow.problems:
            raise Unconvertible(flow.problems[0])
        return Query(site, awaited, method, form, arguments, flow, rows, row_names,
                     may_be_empty=rows is not None and not (isinstance(rows, cst.List) and rows.elements))

    def _sql_value(self, node: cst.BaseExpression) -> str:
        value = string_value(node)
        if value is not None:
            return value
        built = _built_at_run_time(node) or (
            _built_at_run_time(self._constant(node)) if isinstance(node, cst.Name) else None)
        if built:
            raise Unconvertible(f"the SQL is built with {built} at run time (X101): it is never converted; bind "
                                "the values as parameters, and pick identifiers from a fixed allow-list")
        constant = self._constant(node) if isinstance(node, cst.Name) else None
        value = string_value(constant) if constant is not None else None
        if value is None:
            raise Unconvertible(f"the SQL (`{cst.Module([]).code_for_node(node)}`) is not a literal or a constant "
                                "here, so its parameters cannot be checked")
        return value

    def _constant(self, name: cst.Name) -> cst.BaseExpression | None:
        scope = metadata_value(self.evidence.scopes, name)
        if scope is None or name.value not in scope:
            return None
        bindings = [a for a in scope[name.value] if isinstance(a, Assignment)]
        if len(bindings) != 1:
            return None
        return self.evidence.bound_value(bindings[0].node)

    def _constant_for_text(self, name: cst.Name, sql: str) -> BoundSql | None:
        """A constant without `$n` that `text()` reads as it is; else None (it runs unchanged)."""
        if not lexes(sql) or highest_parameter(sql) or not reads_as_text(sql):
            return None
        return BoundSql(name, {}, frozenset())

    def _row_shape(self, rows: cst.BaseExpression, sql: str) -> tuple[str, ...]:
        """Bind names for the tuples `rows` yields (from their elements when they are literal tuples)."""
        arity = highest_parameter(sql) if lexes(sql) else None
        element = rows.elt if isinstance(rows, (cst.ListComp, cst.GeneratorExp)) else None
        if isinstance(rows, cst.List) and rows.elements:
            tuples = [e.value for e in rows.elements]
            if not all(isinstance(t, cst.Tuple) for t in tuples) or any(isinstance(e, cst.StarredElement)
                                                                        for e in rows.elements):
                raise Unconvertible("`executemany` rows are not all literal tuples")
            element = tuples[0]
            if len({len(t.elements) for t in tuples}) != 1:
                raise Unconvertible("`executemany` rows have different lengths")
        if element is not None:
            if not isinstance(element, cst.Tuple) or any(isinstance(e, cst.StarredElement) for e in element.elements):
                raise Unconvertible("`executemany` rows are not literal tuples")
            if arity is not None and len(element.elements) != arity:
                raise Unconvertible(f"`executemany` rows hold {len(element.elements)} values for SQL whose highest "
                                    f"parameter is ${arity}")
            if isinstance(rows, cst.List):
                return tuple(f"p{index}" for index in range(1, len(element.elements) + 1))
            return tuple(_bind_name(e.value) or f"p{index}" for index, e in enumerate(element.elements, start=1))
        if arity is None:
            raise Unconvertible("the SQL lexer cannot read the `executemany` SQL, so its rows cannot be matched")
        return tuple(f"p{index}" for index in range(1, arity + 1))

    @staticmethod
    def _bind_names(arguments: list[cst.BaseExpression], row_names: tuple[str, ...]) -> list[str]:
        candidates = list(row_names) or [_bind_name(a) for a in arguments]
        names: list[str] = []
        for index, candidate in enumerate(candidates, start=1):
            names.append(candidate if candidate and candidate not in names else f"p{index}")
        # `p2` chosen for one argument must not collide with another argument's own name `p2`
        return [name if names.count(name) == 1 else f"p{index}" for index, name in enumerate(names, start=1)]


def _bind_name(node: cst.BaseExpression) -> str | None:
    """`workspace_id` for `workspace_id`, `obj.workspace_id` and `row["workspace_id"]`."""
    if isinstance(node, cst.Name):
        candidate = node.value
    elif isinstance(node, cst.Attribute):
        candidate = node.attr.value
    elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        candidate = string_value(node.slice[0].slice.value)
    else:
        candidate = None
    return candidate if usable_bind_name(candidate) else None


def _built_at_run_time(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.FormattedString) and any(isinstance(p, cst.FormattedStringExpression) for p in node.parts):
        return "an f-string"
    if isinstance(node, cst.ConcatenatedString):
        return _built_at_run_time(node.left) or _built_at_run_time(node.right)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        return "`%` formatting" if isinstance(node.operator, cst.Modulo) else "`+` concatenation"
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        return "`.format()`"
    return None
