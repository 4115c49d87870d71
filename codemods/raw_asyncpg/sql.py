"""asyncpg SQL (`$1`, `$2::int`, `= ANY($1)`) as `text()` SQL with named binds, piece by piece.

The positions of the parameters come from the runtime's lexer (`sqlasync.compat.sql_lexer`), so a `$1`
inside a string literal, a comment, a quoted identifier or a dollar-quoted body is never touched.
Each `$n` becomes `:name` (one name however often `$n` occurs); a cast written on a parameter becomes
`CAST(:name AS type)`, because `text()` would not read `:name::type` as a bind; `x = ANY($n)` becomes an
expanding `x IN :name`, which every database understands. The result is checked against what
`text()` itself finds in it: any other `:word` it would take for a bind (a colon inside a literal)
makes the SQL unsafe for `text()`, and the caller falls back to running it unchanged.

The edits are applied to the string literal pieces the SQL was written in, so an implicitly
concatenated multi-line literal keeps its layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from sqlalchemy import text

from sqlasync.compat.sql_lexer import SQLLexError, Token, TokenKind, parameter_uses, split_statements, tokenize

# `ANY` and `ALL` with one array parameter, as `IN` / `NOT IN` with an expanding bind.
_MEMBERSHIP = {("=", "ANY"): "IN", ("<>", "ALL"): "NOT IN", ("!=", "ALL"): "NOT IN"}
_WORD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class BoundSql:
    """The SQL rewritten for `text()`: its literal (pieces and layout kept) and the bind name of each `$n`."""

    literal: cst.BaseExpression
    names: dict[int, str]
    expanding: frozenset[str]


class UnsafeForText(Exception):
    """The SQL cannot be proven to mean the same under `text()`; it may still run unchanged."""


def statement_count(sql: str) -> int:
    """How many statements `sql` holds (asyncpg runs a script of several only without arguments)."""
    return len(split_statements(sql))


def highest_parameter(sql: str) -> int:
    return max((use.index for use in parameter_uses(sql)), default=0)


def reads_as_text(sql: str) -> bool:
    """Does `text(sql)` mean `sql` as it is (no `:word` taken for a bind, no escaped colon)?"""
    return "\\:" not in sql and not text(sql).compile().params


def lexes(sql: str) -> bool:
    try:
        tokenize(sql)
    except SQLLexError:
        return False
    return True


def bind_sql(literal: cst.BaseExpression, sql: str, name_of: Callable[[int], str]) -> BoundSql:
    """`literal` (whose value is `sql`) rewritten for `text()`; raises UnsafeForText when that is not safe."""
    try:
        tokens = tokenize(sql)
        uses = parameter_uses(sql)
    except SQLLexError as exc:
        raise UnsafeForText(f"the SQL lexer cannot read it ({exc})") from exc
    if "\\:" in sql:
        raise UnsafeForText("it holds `\\:`, which `text()` reads as an escaped colon")
    names = {use.index: name_of(use.index) for use in uses}
    memberships = _memberships(tokens, uses)
    expanding = {use.index for use in uses if use.start in memberships}
    # A parameter also used outside ANY(...) is one value for every use: it cannot expand.
    expanding -= {use.index for use in uses if use.start not in memberships}
    edits = []
    for use in uses:
        name = names[use.index]
        if use.index in expanding:
            start, end, operator = memberships[use.start]
            edits.append(Edit(start, end, f"{operator} :{name}"))
        elif use.cast is not None:
            edits.append(Edit(use.start, use.end, f"CAST(:{name} AS {use.cast})"))
        else:
            edits.append(Edit(use.start, use.end, f":{name}"))
    rewritten = _apply(sql, edits, 0)
    found = set(text(rewritten).compile().params)
    if found != set(names.values()):
        stray = sorted(found - set(names.values()))
        detail = f"`text()` would also read {', '.join(':' + s for s in stray)} as bind parameters" if stray \
            else "`text()` would not see every parameter"
        raise UnsafeForText(detail)
    return BoundSql(_rewrite_literal(literal, edits), names, frozenset(names[index] for index in expanding))


def _memberships(tokens: list[Token], uses) -> dict[int, tuple[int, int, str]]:
    """`x = ANY($n)` / `x <> ALL($n)`: parameter start -> (span start, span end, IN / NOT IN)."""
    significant = [t for t in tokens if not t.is_trivia]
    position_of = {token.start: index for index, token in enumerate(significant)}
    found = {}
    for use in uses:
        index = position_of.get(use.start)
        if index is None or index < 3:
            continue
        opening, word = significant[index - 1], significant[index - 2]
        operator = _operator_before(significant, index - 2)
        if operator is None or opening.text != "(" or word.kind is not TokenKind.WORD:
            continue
        replacement = _MEMBERSHIP.get((operator[1], word.text.upper()))
        closing = next((t for t in significant[index + 1:] if t.start >= use.end), None)
        if replacement is None or closing is None or closing.text != ")":
            continue
        found[use.start] = (operator[0], closing.end, replacement)
    return found


def _operator_before(significant: list[Token], index: int) -> tuple[int, str] | None:
    """The comparison operator ending just before `significant[index]`: (its start, its text)."""
    last = significant[index - 1] if index >= 1 else None
    if last is None or last.kind is not TokenKind.PUNCTUATION:
        return None
    if last.text == "=":
        before = significant[index - 2] if index >= 2 else None
        if before is not None and before.end == last.start and before.text in "!<>":
            return (before.start, before.text + "=") if before.text == "!" else None
        return last.start, "="
    if last.text == ">":
        before = significant[index - 2] if index >= 2 else None
        if before is not None and before.end == last.start and before.text == "<":
            return before.start, "<>"
    return None


def _apply(value: str, edits: list[Edit], offset: int) -> str:
    pieces, cursor = [], 0
    for edit in sorted(edits, key=lambda e: e.start):
        pieces.append(value[cursor:edit.start - offset])
        pieces.append(edit.replacement)
        cursor = edit.end - offset
    pieces.append(value[cursor:])
    return "".join(pieces)


def _pieces(literal: cst.BaseExpression) -> list[cst.SimpleString]:
    if isinstance(literal, cst.ConcatenatedString):
        return _pieces(literal.left) + _pieces(literal.right)
    if isinstance(literal, cst.SimpleString):
        return [literal]
    raise UnsafeForText("it is not a plain string literal")


def _rewrite_literal(literal: cst.BaseExpression, edits: list[Edit]) -> cst.BaseExpression:
    """The literal with `edits` (offsets into its value) applied inside the piece each falls in."""
    replaced: dict[int, cst.SimpleString] = {}
    offset = 0
    for piece in _pieces(literal):
        value = piece.evaluated_value
        if not isinstance(value, str):
            raise UnsafeForText("it is a bytes literal")
        end = offset + len(value)
        inside = [e for e in edits if offset <= e.start and e.end <= end]
        if any(e.start < end < e.end for e in edits):
            raise UnsafeForText("a parameter is split across two string pieces")
        if inside:
            replaced[id(piece)] = _piece_with(piece, _apply(value, inside, offset))
        offset = end
    return literal.visit(_ReplacePieces(replaced))


def _piece_with(piece: cst.SimpleString, value: str) -> cst.SimpleString:
    """`piece` holding `value`, written as it was when its source spelled the old value character for character."""
    prefix, quote = piece.prefix, piece.quote
    inner = piece.value[len(prefix) + len(quote):-len(quote)]
    if inner == piece.evaluated_value and "\\" not in inner:
        return piece.with_changes(value=f"{prefix}{quote}{value}{quote}")
    return piece.with_changes(value=repr(value))


class _ReplacePieces(cst.CSTTransformer):
    def __init__(self, replaced: dict[int, cst.SimpleString]) -> None:
        super().__init__()
        self.replaced = replaced

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        return self.replaced.get(id(original), updated)


def usable_bind_name(candidate: str | None) -> bool:
    return bool(candidate and _WORD.match(candidate))
