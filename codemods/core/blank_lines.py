"""Blank lines around module-level definitions that a rewrite added or moved (PEP 8: two)."""

from __future__ import annotations

from collections.abc import Sequence

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


def carry_leading_lines(removed: Sequence[cst.EmptyLine], following: Sequence[cst.EmptyLine], *,
                        at_start: bool) -> list[cst.EmptyLine]:
    """The leading lines of the statement after one that was removed: the removed statement's comment lines
    stay in the file (only its own trailing comment goes with it), and the blank lines where the two meet
    are as many as the wider of the two gaps, so a blank line separating import groups survives once.
    `at_start`: nothing is kept above the removed statement in its block, so blank lines the removed one
    did not have are not wanted either (a file or block does not start with a gap)."""
    removed, following = list(removed), list(following)
    removed_tail = trailing_blanks(removed)
    following_head = _leading_blanks(following)
    if at_start and all(line.comment is None for line in removed):
        gap = removed_tail
    else:
        gap = max(removed_tail, following_head)
    blanks = (following[:following_head] if following_head >= removed_tail else removed[len(removed) - removed_tail:])
    blanks = (blanks + [cst.EmptyLine()] * gap)[:gap]
    return removed[:len(removed) - removed_tail] + blanks + following[following_head:]


def trailing_blanks(lines: Sequence[cst.EmptyLine]) -> int:
    return _leading_blanks(list(reversed(lines)))


def _leading_blanks(lines) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count
