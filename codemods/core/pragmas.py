"""Tool pragmas (`# noqa`, `# type: ignore`, ...) stay on the line they apply to when a rewrite breaks a
one-line statement over several lines.

A trailing comment belongs to a statement's last line in LibCST, so a statement laid out anew carries it
to the closing bracket; linters and type checkers report the statement on its first line, where the
pragma used to be and must stay.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter

import libcst as cst

PRAGMA = re.compile(r"#\s*(noqa\b|type:\s*ignore\b|pyright:\s*ignore\b|pylint:\s*disable\b|mypy:\s*ignore\b)")


def pragmas_kept_on_their_line(original: cst.Module, updated: cst.Module) -> cst.Module:
    """`updated` with the pragma of every statement that was one line in `original` back on its first line.
    A pragma text that `original` also has at the end of a multi-line statement is left where it is: that
    statement may be the one it belongs to."""
    one_line, several_lines = Counter(), Counter()
    for statement, comment in _pragma_statements(original):
        (several_lines if _spans_lines(original, statement) else one_line)[comment] += 1
    moved = {comment for comment in one_line if not several_lines[comment]}
    if not moved:
        return updated
    return updated.visit(_MovePragmas(updated, moved))


def _pragma_statements(module: cst.Module):
    found = []

    class Collect(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            comment = node.trailing_whitespace.comment
            if comment is not None and PRAGMA.search(comment.value):
                found.append((node, comment.value))

    module.visit(Collect())
    return found


def _spans_lines(module: cst.Module, statement: cst.SimpleStatementLine) -> bool:
    return "\n" in _body_code(module, statement).rstrip("\r\n")


def _body_code(module: cst.Module, statement: cst.SimpleStatementLine) -> str:
    bare = statement.with_changes(leading_lines=(), trailing_whitespace=cst.TrailingWhitespace())
    return module.code_for_node(bare)


class _MovePragmas(cst.CSTTransformer):
    def __init__(self, module: cst.Module, comments: set[str]) -> None:
        super().__init__()
        self.module = module
        self.comments = comments

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        comment = updated.trailing_whitespace.comment
        if comment is None or comment.value not in self.comments:
            return updated
        code = _body_code(self.module, updated)
        first_break = _first_line_break(code)
        if first_break is None:
            return updated
        head = code[:first_break].rstrip(" \t")
        moved = f"{head}  {comment.value}{code[first_break:]}"
        try:
            statement = cst.parse_statement(moved, config=self.module.config_for_parsing)
        except cst.ParserSyntaxError:
            return updated
        if not isinstance(statement, cst.SimpleStatementLine):
            return updated
        return statement.with_changes(leading_lines=updated.leading_lines,
                                      trailing_whitespace=updated.trailing_whitespace.with_changes(
                                          whitespace=cst.SimpleWhitespace(""), comment=None))


def _first_line_break(code: str) -> int | None:
    """Offset of the end of the statement's first line when that line ends inside brackets (where a comment
    may go); None when the statement is one line or its first line ends inside a string."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    for token in tokens:
        if token.type == tokenize.NL and token.start[0] == 1:
            return token.start[1]
        if token.end[0] > 1 or token.type == tokenize.NEWLINE:
            return None
    return None
