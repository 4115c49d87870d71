"""Blank lines around module-level definitions that a rewrite added or moved (PEP 8: two)."""

from __future__ import annotations

import libcst as cst


def two_blank_lines(statement: cst.BaseStatement) -> cst.BaseStatement:
    """At least two blank lines before `statement`, above any comment lines it has."""
    lines = list(statement.leading_lines)
    blanks = 0
    while blanks < len(lines) and lines[blanks].comment is None:
        blanks += 1
    return statement.with_changes(leading_lines=[cst.EmptyLine()] * max(2, blanks) + lines[blanks:])


def definitions_spaced_from_imports(original: cst.Module, module: cst.Module) -> cst.Module:
    """When `original` began with a def or class, imports added above it bring one blank line; make it two."""
    if not original.body or not isinstance(original.body[0], (cst.FunctionDef, cst.ClassDef)):
        return module
    body = list(module.body)
    for index, statement in enumerate(body[1:], start=1):
        previous = body[index - 1]
        is_import = isinstance(previous, cst.SimpleStatementLine) and any(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in previous.body)
        if is_import and isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            body[index] = two_blank_lines(statement)
        if not is_import:
            break
    return module.with_changes(body=body)
