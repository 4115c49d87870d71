"""Lines a rewrite wrote past the project's line length, broken the way black breaks them.

Only a line the rewrite wrote or changed is looked at. When it is too long, the statement holding it (or the
header of the `def`, `with`, `for`, `if` or `while` it belongs to) is laid out by black with the project's line
length, at its own indentation, strings left as they are; every other line of the file keeps its bytes.
A statement with a comment in it is left long: black would move a trailing comment (a `# noqa`, a
`# type:`) off the line it is about.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

import black
import libcst as cst
import libcst.matchers as m
from black.mode import Preview
from libcst.metadata import MetadataWrapper, PositionProvider

_HEADED = (cst.FunctionDef, cst.With, cst.For, cst.While, cst.If)
_PLACEHOLDER = "pass"


def long_lines_broken(updated: cst.Module, changed: Iterable[int], line_length: int) -> cst.Module:
    """`changed`: the 1-based numbers of the lines of `updated` the migration wrote."""
    lines = updated.code.splitlines(keepends=True)
    long = {number for number in changed if len(lines[number - 1].rstrip("\r\n")) > line_length}
    if not long:
        return updated
    wrapper = MetadataWrapper(updated, unsafe_skip_copy=True)
    units = _Units(wrapper.resolve(PositionProvider))
    wrapper.module.visit(units)
    chosen = {unit for unit in units.found if any(unit[0] <= number <= unit[1] for number in long)}
    # Bottom up, so that the line numbers of the units still to do hold.
    for start, end, headed in sorted(chosen, reverse=True):
        formatted = _black(lines[start - 1:end], headed, line_length, updated.default_newline)
        if formatted is not None:
            lines[start - 1:end] = formatted
    return cst.parse_module("".join(lines).encode(updated.encoding))


class _Units(cst.CSTVisitor):
    """(first line, last line, is a header) of every statement and compound-statement header without comments."""

    def __init__(self, positions) -> None:
        super().__init__()
        self.positions = positions
        self.found: set[tuple[int, int, bool]] = set()
        self.elifs: set[int] = set()  # `elif` has no statement of its own for black to lay out

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        if not _has_comment(node.with_changes(leading_lines=[])):
            span = self.positions[node]
            self.found.add((span.start.line, span.end.line, False))
        return False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.If) and isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))
        if isinstance(node, _HEADED) and isinstance(node.body, cst.IndentedBlock) and node.body.body \
                and id(node) not in self.elifs:
            first = node.body.body[0]
            start = self.positions[node.name if isinstance(node, cst.FunctionDef) else node].start.line
            end = self.positions[first].start.line - len(first.leading_lines) - 1
            header = node.with_changes(body=node.body.with_changes(body=[]), leading_lines=[])
            if isinstance(node, cst.FunctionDef):
                header = header.with_changes(decorators=[], lines_after_decorators=[])
            if end >= start and not _has_comment(header):
                self.found.add((start, end, True))
        return super().on_visit(node)


def _has_comment(node: cst.CSTNode) -> bool:
    return bool(m.findall(node, m.Comment()))


def _black(lines: list[str], headed: bool, line_length: int, newline: str) -> list[str] | None:
    """`lines` laid out by black at their own indentation; None when black cannot take them on their own."""
    first = lines[0]
    indent = first[:len(first) - len(first.lstrip(" \t"))]
    if not all(line.startswith(indent) or not line.strip() for line in lines):
        return None
    source = "".join(line[len(indent):] for line in lines)
    if headed:
        source = source.rstrip("\r\n") + f"\n    {_PLACEHOLDER}\n"
    width = max(line_length - len(indent), 1)
    formatted = _formatted(source, black.Mode(line_length=width, string_normalization=False))
    if formatted is not None and any(len(line) > width for line in formatted):
        # A string too long for the line (an SQL statement a rewrite lengthened) is split the way black's string
        # processing splits it, when that keeps the very same code.
        split = _formatted(source, black.Mode(line_length=width, string_normalization=False,
                                              enabled_features={Preview.string_processing}))
        formatted = split if split is not None and _same_code(source, "\n".join(split)) else formatted
    if formatted is not None and any(len(line) > width for line in formatted):
        # black splits strings at spaces only: an f-string the rewrite filled with awaits may have none.
        split = [piece for line in formatted for piece in _fstring_split(line, width)]
        formatted = split if _same_code(source, "\n".join(split)) else formatted
    if formatted is None:
        return None
    if headed:
        if formatted[-1].strip() != _PLACEHOLDER:
            return None
        formatted = formatted[:-1]
    return [f"{indent}{line}{newline}" if line else newline for line in formatted]


def _fstring_split(line: str, width: int) -> list[str]:
    """A line holding one f-string (inside brackets) as several f-strings, one a line, split between its parts
    where the line length allows; the line itself when it is no such line or fits already."""
    text = line.lstrip(" ")
    indent = line[:len(line) - len(text)]
    try:
        string = cst.parse_expression(text.rstrip(","))
    except cst.ParserSyntaxError:
        return [line]
    if len(line) <= width or not isinstance(string, cst.FormattedString) or len(string.end) != 1:
        return [line]
    empty = cst.Module([])
    pieces, current = [], ""
    for part in string.parts:
        code = empty.code_for_node(part)
        if current and len(indent) + len(string.start) + len(current) + len(code) + len(string.end) > width:
            pieces.append(current)
            current = ""
        current += code
    pieces.append(current)
    comma = "," if text.endswith(",") else ""
    return [f"{indent}{string.start}{piece}{string.end}" for piece in pieces[:-1]] + [
        f"{indent}{string.start}{pieces[-1]}{string.end}{comma}"]


def _formatted(source: str, mode: black.Mode) -> list[str] | None:
    try:
        return black.format_str(source, mode=mode).splitlines()
    except (black.InvalidInput, ValueError):
        return None


def _same_code(before: str, after: str) -> bool:
    try:
        return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except SyntaxError:
        return False
