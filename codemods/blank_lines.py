"""Blank lines around module-level definitions that a rewrite added or moved (PEP 8: two)."""

from __future__ import annotations

import difflib

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


def removed_statements_keep_spacing(before: cst.Module, after: cst.Module) -> cst.Module:
    """Blank lines above a module-level statement that was removed (an unused import) stay above whatever
    follows it; LibCST's import remover drops them, gluing the docstring or the next group to the rest."""
    def text(statement: cst.BaseStatement) -> str:
        return before.code_for_node(statement.with_changes(leading_lines=()))

    matcher = difflib.SequenceMatcher(a=[text(s) for s in before.body], b=[text(s) for s in after.body],
                                      autojunk=False)
    body = list(after.body)
    for tag, start, _, position, _ in matcher.get_opcodes():
        if tag not in ("delete", "replace") or position >= len(body):
            continue
        removed = _leading_blanks(before.body[start].leading_lines)
        following = body[position]
        lines = list(following.leading_lines)
        present = _leading_blanks(lines)
        # What now comes first in the file takes the first statement's spacing (none, usually).
        wanted = removed if position == 0 else max(removed, present)
        body[position] = following.with_changes(leading_lines=[cst.EmptyLine()] * wanted + lines[present:])
    return after.with_changes(body=body)


def _leading_blanks(lines) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count
