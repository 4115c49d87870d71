"""Turn asyncpg-style SQL into a statement another driver can run, and name its result.

``prepare_statement`` rewrites each ``$n`` into a bind of the driver's paramstyle
(``:p1`` for SQLite, ``%(p1)s`` for pyformat drivers, whose other ``%`` are then
doubled), drops casts written on parameters, and remembers how many arguments
asyncpg would demand.  ``command_tag`` / ``status_string`` give the status line
PostgreSQL would report (``INSERT 0 1``, ``UPDATE 3``, ``CREATE TABLE``).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .sql_lexer import ParameterUse, Token, TokenKind, rewrite_parameters, tokenize

__all__ = [
    "FacadeInterfaceError",
    "Paramstyle",
    "PreparedStatement",
    "command_tag",
    "paramstyle_for",
    "prepare_statement",
    "status_string",
]


class FacadeInterfaceError(RuntimeError):
    """Misuse that asyncpg reports as ``InterfaceError`` (argument count, released connection, ...)."""


class Paramstyle(enum.Enum):
    NAMED = "named"  # :p1
    PYFORMAT = "pyformat"  # %(p1)s


def paramstyle_for(dialect_name: str) -> Paramstyle:
    return Paramstyle.NAMED if dialect_name == "sqlite" else Paramstyle.PYFORMAT


_ROW_COUNT_COMMANDS = frozenset({"UPDATE", "DELETE", "SELECT", "MERGE", "FETCH", "MOVE", "COPY"})
_DML_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"})
_DDL_VERBS = frozenset({"CREATE", "DROP", "ALTER"})
_DDL_MODIFIERS = frozenset(
    {"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "IF", "NOT", "EXISTS"}
)
_TAG_ALIASES = {"VALUES": "SELECT", "TABLE": "SELECT", "END": "COMMIT", "ABORT": "ROLLBACK"}


def command_tag(tokens: Sequence[Token]) -> str:
    """The PostgreSQL command tag a statement would report (``INSERT``, ``CREATE TABLE``, ...)."""
    words: list[tuple[str, int]] = []
    depth = 0
    for token in tokens:
        if token.kind is TokenKind.PUNCTUATION and token.text in "()":
            depth += 1 if token.text == "(" else -1
        elif token.kind is TokenKind.WORD:
            words.append((token.text.upper(), depth))
    if not words:
        return ""
    verb = words[0][0]
    if verb == "WITH":
        verb = next((word for word, level in words[1:] if level == 0 and word in _DML_VERBS), verb)
    elif verb in _DDL_VERBS:
        objects = [word for word, _ in words[1:] if word not in _DDL_MODIFIERS]
        if objects:
            target = "MATERIALIZED VIEW" if objects[0] == "MATERIALIZED" else objects[0]
            return f"{verb} {target}"
    elif verb == "TRUNCATE":
        return "TRUNCATE TABLE"
    return _TAG_ALIASES.get(verb, verb)


def status_string(tag: str, row_count: int) -> str:
    """asyncpg's status line for a statement with ``tag`` that touched or returned ``row_count`` rows."""
    if tag == "INSERT":
        return f"INSERT 0 {row_count}"
    if tag in _ROW_COUNT_COMMANDS:
        return f"{tag} {row_count}"
    return tag


@dataclass(frozen=True)
class PreparedStatement:
    sql: str
    parameter_names: dict[int, str]  # $n -> bind name
    argument_count: int  # asyncpg expects exactly max(n) arguments
    tag: str

    def bind(self, args: Sequence[Any]) -> dict[str, Any]:
        if len(args) != self.argument_count:
            plural = "" if self.argument_count == 1 else "s"
            raise FacadeInterfaceError(
                f"the server expects {self.argument_count} argument{plural} for this query, {len(args)} "
                f"{'was' if len(args) == 1 else 'were'} passed"
            )
        return {name: args[index - 1] for index, name in self.parameter_names.items()}


def _render(use: ParameterUse, style: Paramstyle) -> str:
    name = f"p{use.index}"
    return f":{name}" if style is Paramstyle.NAMED else f"%({name})s"


@functools.lru_cache(maxsize=1024)
def prepare_statement(sql: str, style: Paramstyle) -> PreparedStatement:
    """Translate one statement; cached, since legacy services repeat the same SQL strings."""
    tokens = tokenize(sql)
    indexes = sorted({token.parameter_index for token in tokens if token.kind is TokenKind.PARAMETER})
    escape_percent = style is Paramstyle.PYFORMAT and bool(indexes)
    rendered = rewrite_parameters(
        sql,
        lambda use: _render(use, style),
        (lambda token: token.text.replace("%", "%%")) if escape_percent else None,
    )
    return PreparedStatement(
        sql=rendered,
        parameter_names={index: f"p{index}" for index in indexes},
        argument_count=max(indexes, default=0),
        tag=command_tag(tokens),
    )
