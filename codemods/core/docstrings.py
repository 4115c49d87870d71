"""A function's docstring, kept where it is when a rewrite replaces or moves the rest of its body."""

from __future__ import annotations

import libcst as cst


def docstring_and_rest(function: cst.FunctionDef) -> tuple[list[cst.BaseStatement], list[cst.BaseStatement]]:
    """The docstring statement (none or one) and the statements after it, of an indented body."""
    statements = list(function.body.body) if isinstance(function.body, cst.IndentedBlock) else []
    split = 1 if statements and is_docstring(statements[0]) else 0
    return statements[:split], statements[split:]


def is_docstring(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Expr) and isinstance(
        statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
