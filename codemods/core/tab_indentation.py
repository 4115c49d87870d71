"""In a file indented with tabs, the lines a migration wrote are indented with tabs too.

The rewrites lay out what they write with four spaces a level (blocks they parse from text, arguments and
parameters put one a line, chains broken inside brackets, what black breaks). In a tab-indented file that
gives lines of tabs followed by spaces, or spaces alone: valid, but not what anyone working on the file
would write. Each run of four spaces that starts such a written line becomes a tab. A line inside a string
spanning lines keeps its bytes (they are the string's value), and so does a line with fewer than four
spaces left, which aligns with something on the line above rather than indenting.
"""

from __future__ import annotations

import ast
import io
import re
import token
import tokenize

import libcst as cst

_SPACES_AFTER_TABS = re.compile(r"^(\t*)((?:    )+)(?=\S)")
# Lines as Python numbers them (str.splitlines also breaks at form feeds and other separators).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_LAYOUT_TOKENS = (token.NEWLINE, token.NL, token.INDENT, token.DEDENT, token.COMMENT)


def tabs_in_written_lines(updated: cst.Module, written: set[int]) -> cst.Module:
    """`updated` with the leading spaces of its `written` lines (1-based numbers) as tabs, when the file indents
    with tabs; `updated` itself when it does not, or when the result would not be the same code."""
    if updated.default_indent != "\t" or not written:
        return updated
    code = updated.code
    try:
        tree = ast.parse(code)
        inside_strings = _lines_inside_strings(code)
    except (SyntaxError, tokenize.TokenError):
        return updated
    lines = _LINES.findall(code)
    changed = False
    for number in sorted(written):
        if number in inside_strings or number > len(lines):
            continue
        line = lines[number - 1]
        match = _SPACES_AFTER_TABS.match(line)
        if match is not None:
            tabs = match.group(1) + "\t" * (len(match.group(2)) // 4)
            lines[number - 1] = tabs + line[match.end():]
            changed = True
    if not changed:
        return updated
    converted = "".join(lines)
    try:
        same = ast.dump(ast.parse(converted)) == ast.dump(tree)
    except SyntaxError:
        same = False
    return cst.parse_module(converted.encode(updated.encoding)) if same else updated


def _lines_inside_strings(code: str) -> set[int]:
    """Lines after the first of every token that spans lines: a string (or an f-string's part) written over
    several lines. (Pieces of an implicitly joined string each start a line of their own: they are not inside.)"""
    inside = set()
    for piece in tokenize.generate_tokens(io.StringIO(code).readline):
        if piece.end[0] > piece.start[0] and piece.type not in _LAYOUT_TOKENS:
            inside.update(range(piece.start[0] + 1, piece.end[0] + 1))
    return inside
