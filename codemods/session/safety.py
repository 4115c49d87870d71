"""X: safety findings no codemod may carry over silently."""

from __future__ import annotations

import re

import libcst as cst

from ..core.nodes import dotted_name, metadata_value, string_value
from ..core.family import Family, Recogniser
from ..core.rule import Rule

DYNAMIC_SQL = Rule(
    code="X101", name="sql-built-from-strings", family="safety",
    summary="SQL built with an f-string, `%`, `+` or `.format()` and passed to execute/fetch/text",
    why=(
        "Values spliced into SQL text are an injection risk, and a codemod that converted such a call would "
        "launder it into new-looking code. Pass values as bound parameters; if an identifier must vary, pick "
        "it from a fixed allow-list."
    ),
    before='rows = await conn.fetch(f"SELECT * FROM jobs WHERE status = \'{status}\'")\n',
    after='rows = await conn.fetch("SELECT * FROM jobs WHERE status = $1", status)\n',
)
SQL_SINKS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "exec_driver_sql", "text"})
SQL_WORDS = re.compile(
    r"(?is)\bselect\b.*\bfrom\b|\binsert\s+into\b|\bupdate\b.*\bset\b|\bdelete\s+from\b|"
    r"\b(?:create|drop|alter|truncate)\s+(?:table|index|schema|view)\b|\bwhere\b"
)


class SafetyRecogniser(Recogniser):
    rules = {DYNAMIC_SQL.code: DYNAMIC_SQL}

    def visit_Call(self, node: cst.Call) -> None:
        sink = dotted_name(node.func)
        if not sink or sink.split(".")[-1] not in SQL_SINKS or not node.args:
            return
        argument = node.args[0].value
        built = self._dynamic_sql(argument)
        if built is None and isinstance(argument, cst.Name):
            built = self._dynamic_sql(self._local_value(argument))
        if built is not None:
            self.report("X101", node, f"SQL built with {built} is passed to `{sink}()`: bind the values as parameters",
                        reason="never rewritten automatically: the SQL text is not known until run time")

    def _local_value(self, name: cst.Name) -> cst.BaseExpression | None:
        scope = metadata_value(self.evidence.scopes, name)
        if scope is None or name.value not in scope:
            return None
        assignments = list(scope[name.value])
        if len(assignments) != 1:
            return None
        return self.evidence.bound_value(assignments[0].node)

    def _dynamic_sql(self, expr: cst.BaseExpression | None) -> str | None:
        if isinstance(expr, cst.FormattedString):
            if any(isinstance(p, cst.FormattedStringExpression) for p in expr.parts) and SQL_WORDS.search(
                "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
            ):
                return "an f-string"
        elif isinstance(expr, cst.ConcatenatedString):
            return self._dynamic_sql(expr.left) or self._dynamic_sql(expr.right)
        elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Modulo, cst.Add)):
            texts = [string_value(side) for side in (expr.left, expr.right)]
            dynamic = any(t is None for t in texts)
            if dynamic and any(t and SQL_WORDS.search(t) for t in texts):
                return "`%` formatting" if isinstance(expr.operator, cst.Modulo) else "`+` concatenation"
            nested = [self._dynamic_sql(side) for side in (expr.left, expr.right)]
            return next((n for n in nested if n), None)
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            text = string_value(expr.func.value)
            if text and SQL_WORDS.search(text):
                return "`.format()`"
        return None


FAMILY = Family(
    prefix="X",
    name="safety",
    rules=(DYNAMIC_SQL,),
    recogniser=SafetyRecogniser,
    triggers=lambda config: (
        (rb"\.\s*(?:execute|executemany|fetch|fetchrow|fetchval|exec_driver_sql)\s*\(|\btext\s*\(",
         rb"(?i)\b(?:select|insert|update|delete|create|drop|alter|truncate|where)\b"),
    ),
)
