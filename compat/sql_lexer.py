"""A lexer for PostgreSQL-flavoured SQL as written for asyncpg (``$1``, ``$2`` ...).

It knows exactly where positional parameters are, and where they are *not*:
inside ``'string'`` / ``E'escape\\'d'`` literals, ``"quoted identifiers"``,
``-- line`` and ``/* nested /* block */ */`` comments, ``$tag$ dollar-quoted $tag$``
bodies, or identifiers such as ``price$1``.  It also reads the type of a
``$1::type`` cast (``::int``, ``::double precision``, ``::varchar(20)[]``,
``::public."Mood"``) so callers can keep, rewrite or drop it.

Used by the asyncpg facade to run legacy SQL on other databases and, later,
by the raw-asyncpg codemods; it depends on nothing but the standard library.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "SQLLexError",
    "TokenKind",
    "Token",
    "ParameterUse",
    "tokenize",
    "parameter_uses",
    "rewrite_parameters",
    "split_statements",
]


class SQLLexError(ValueError):
    """The SQL ends inside a literal, quoted identifier, comment or dollar-quoted body."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (starting at offset {position})")
        self.position = position


class TokenKind(enum.Enum):
    WHITESPACE = "whitespace"
    LINE_COMMENT = "line_comment"
    BLOCK_COMMENT = "block_comment"
    STRING = "string"
    DOLLAR_STRING = "dollar_string"
    QUOTED_IDENTIFIER = "quoted_identifier"
    PARAMETER = "parameter"
    CAST = "cast"
    NUMBER = "number"
    WORD = "word"
    PUNCTUATION = "punctuation"


_TRIVIA = frozenset({TokenKind.WHITESPACE, TokenKind.LINE_COMMENT, TokenKind.BLOCK_COMMENT})


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def is_trivia(self) -> bool:
        return self.kind in _TRIVIA

    @property
    def parameter_index(self) -> int:
        """``n`` for a ``$n`` token."""
        if self.kind is not TokenKind.PARAMETER:
            raise ValueError(f"{self.text!r} is not a positional parameter")
        return int(self.text[1:])


def _is_identifier_start(char: str) -> bool:
    return char.isalpha() or char == "_" or ord(char) >= 0x80


def _is_identifier_part(char: str) -> bool:
    return char.isalnum() or char in "_$" or ord(char) >= 0x80


class _Scanner:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.length = len(sql)

    def char(self, position: int) -> str:
        return self.sql[position] if position < self.length else ""

    def tokens(self) -> Iterator[Token]:
        position = 0
        while position < self.length:
            kind, end = self._scan(position)
            yield Token(kind, self.sql[position:end], position)
            position = end

    def _scan(self, start: int) -> tuple[TokenKind, int]:
        char, following = self.char(start), self.char(start + 1)
        if char.isspace():
            end = start + 1
            while end < self.length and self.sql[end].isspace():
                end += 1
            return TokenKind.WHITESPACE, end
        if char == "-" and following == "-":
            end = self.sql.find("\n", start)
            return TokenKind.LINE_COMMENT, self.length if end < 0 else end + 1
        if char == "/" and following == "*":
            return TokenKind.BLOCK_COMMENT, self._block_comment_end(start)
        if char == "'":
            return TokenKind.STRING, self._quoted_end(start, start, "'", backslash_escapes=False)
        if char == '"':
            return TokenKind.QUOTED_IDENTIFIER, self._quoted_end(start, start, '"', backslash_escapes=False)
        if char == "$":
            if following.isdigit():
                end = start + 1
                while end < self.length and self.sql[end].isdigit():
                    end += 1
                return TokenKind.PARAMETER, end
            dollar_end = self._dollar_string_end(start)
            if dollar_end is not None:
                return TokenKind.DOLLAR_STRING, dollar_end
            return TokenKind.PUNCTUATION, start + 1
        if char == ":" and following == ":":
            return TokenKind.CAST, start + 2
        if char.isdigit() or (char == "." and following.isdigit()):
            return TokenKind.NUMBER, self._number_end(start)
        if _is_identifier_start(char):
            return self._word_or_prefixed_literal(start)
        return TokenKind.PUNCTUATION, start + 1

    def _word_or_prefixed_literal(self, start: int) -> tuple[TokenKind, int]:
        lowered = self.sql[start : start + 3].lower()
        # E'..' (backslash escapes), B'..', X'..', N'..', U&'..' and U&".." are one token each.
        if lowered[:1] == "e" and lowered[1:2] == "'":
            return TokenKind.STRING, self._quoted_end(start, start + 1, "'", backslash_escapes=True)
        if lowered[:1] in ("b", "x", "n") and lowered[1:2] == "'":
            return TokenKind.STRING, self._quoted_end(start, start + 1, "'", backslash_escapes=False)
        if lowered[:2] == "u&" and lowered[2:3] in ("'", '"'):
            quote = lowered[2]
            kind = TokenKind.STRING if quote == "'" else TokenKind.QUOTED_IDENTIFIER
            return kind, self._quoted_end(start, start + 2, quote, backslash_escapes=False)
        end = start + 1
        while end < self.length and _is_identifier_part(self.sql[end]):
            end += 1
        return TokenKind.WORD, end

    def _quoted_end(self, token_start: int, opening: int, quote: str, *, backslash_escapes: bool) -> int:
        position = opening + 1
        while position < self.length:
            char = self.sql[position]
            if backslash_escapes and char == "\\":
                position += 2
                continue
            if char == quote:
                if self.char(position + 1) == quote:
                    position += 2
                    continue
                return position + 1
            position += 1
        what = "quoted identifier" if quote == '"' else "string literal"
        raise SQLLexError(f"unterminated {what}", token_start)

    def _block_comment_end(self, start: int) -> int:
        depth, position = 0, start
        while position < self.length:
            pair = self.sql[position : position + 2]
            if pair == "/*":
                depth += 1
                position += 2
            elif pair == "*/":
                depth -= 1
                position += 2
                if depth == 0:
                    return position
            else:
                position += 1
        raise SQLLexError("unterminated block comment", start)

    def _dollar_string_end(self, start: int) -> int | None:
        tag_end = start + 1
        if tag_end < self.length and _is_identifier_start(self.sql[tag_end]):
            tag_end += 1
            while tag_end < self.length and _is_identifier_part(self.sql[tag_end]) and self.sql[tag_end] != "$":
                tag_end += 1
        if self.char(tag_end) != "$":
            return None
        delimiter = self.sql[start : tag_end + 1]
        closing = self.sql.find(delimiter, tag_end + 1)
        if closing < 0:
            raise SQLLexError(f"unterminated dollar-quoted string {delimiter}", start)
        return closing + len(delimiter)

    def _number_end(self, start: int) -> int:
        position = start
        while self.char(position).isdigit() or self.char(position) == "_":
            position += 1
        if self.char(position) == "." and self.char(position + 1) != ".":
            position += 1
            while self.char(position).isdigit():
                position += 1
        if self.char(position) in ("e", "E"):
            exponent = position + 1
            if self.char(exponent) in ("+", "-"):
                exponent += 1
            if self.char(exponent).isdigit():
                position = exponent
                while self.char(position).isdigit():
                    position += 1
        return position


def tokenize(sql: str) -> list[Token]:
    """Split ``sql`` into tokens whose texts concatenate back to ``sql`` exactly."""
    return list(_Scanner(sql).tokens())


@dataclass(frozen=True)
class ParameterUse:
    """One occurrence of ``$n``, with the ``::type`` that immediately follows it, if any."""

    index: int
    start: int
    end: int  # end of the cast when there is one, else of ``$n``
    cast: str | None


# Type names PostgreSQL spells with more than one word.
_MULTIWORD_TYPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "double": (("precision",),),
    "character": (("varying",),),
    "bit": (("varying",),),
    "timestamp": (("with", "time", "zone"), ("without", "time", "zone")),
    "time": (("with", "time", "zone"), ("without", "time", "zone")),
}


class _CastReader:
    """Reads the type name after ``::`` from a token list."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens

    def next_significant(self, position: int) -> int:
        while position < len(self.tokens) and self.tokens[position].is_trivia:
            position += 1
        return position

    def is_token(self, position: int, kind: TokenKind, text: str | None = None) -> bool:
        if position >= len(self.tokens):
            return False
        token = self.tokens[position]
        return token.kind is kind and (text is None or token.text.lower() == text)

    def read(self, cast_position: int) -> int | None:
        """Index one past the last token of the type, or None if no type follows."""
        position = self.next_significant(cast_position + 1)
        if not (self.is_token(position, TokenKind.WORD) or self.is_token(position, TokenKind.QUOTED_IDENTIFIER)):
            return None
        first_word = self.tokens[position].text.lower()
        end = position + 1
        while self.is_token(end, TokenKind.PUNCTUATION, ".") and (
            self.is_token(end + 1, TokenKind.WORD) or self.is_token(end + 1, TokenKind.QUOTED_IDENTIFIER)
        ):
            end += 2
        end = self._multiword_end(first_word, end)
        end = self._bracketed_end(end, "(", ")")
        # `timestamp(3) with time zone`: the precision sits before the words.
        end = self._multiword_end(first_word, end)
        while self.is_token(self.next_significant(end), TokenKind.PUNCTUATION, "["):
            end = self._bracketed_end(end, "[", "]")
        return end

    def _multiword_end(self, first_word: str, end: int) -> int:
        for words in _MULTIWORD_TYPES.get(first_word, ()):
            probe, matched = end, True
            for word in words:
                probe = self.next_significant(probe)
                if not self.is_token(probe, TokenKind.WORD, word):
                    matched = False
                    break
                probe += 1
            if matched:
                return probe
        return end

    def _bracketed_end(self, end: int, opening: str, closing: str) -> int:
        position = self.next_significant(end)
        if not self.is_token(position, TokenKind.PUNCTUATION, opening):
            return end
        depth = 0
        while position < len(self.tokens):
            token = self.tokens[position]
            if token.kind is TokenKind.PUNCTUATION and token.text == opening:
                depth += 1
            elif token.kind is TokenKind.PUNCTUATION and token.text == closing:
                depth -= 1
                if depth == 0:
                    return position + 1
            position += 1
        return end


def _parameter_uses(tokens: list[Token]) -> Iterator[ParameterUse]:
    reader = _CastReader(tokens)
    for position, token in enumerate(tokens):
        if token.kind is not TokenKind.PARAMETER:
            continue
        cast_position = reader.next_significant(position + 1)
        cast, end = None, token.end
        if reader.is_token(cast_position, TokenKind.CAST):
            type_end = reader.read(cast_position)
            if type_end is not None:
                type_start = reader.next_significant(cast_position + 1)
                cast = "".join(t.text for t in tokens[type_start:type_end])
                end = tokens[type_end - 1].end
        yield ParameterUse(token.parameter_index, token.start, end, cast)


def parameter_uses(sql: str) -> list[ParameterUse]:
    """Every ``$n`` in ``sql`` (outside literals, identifiers and comments), in order."""
    return list(_parameter_uses(tokenize(sql)))


def rewrite_parameters(
    sql: str,
    render: Callable[[ParameterUse], str],
    render_other: Callable[[Token], str] | None = None,
) -> str:
    """Replace each ``$n`` (and its cast) by ``render(use)``.

    ``render_other`` may transform every other token (e.g. to escape ``%`` for a
    pyformat driver); by default other text is kept byte for byte.
    """
    tokens = tokenize(sql)
    uses = {use.start: use for use in _parameter_uses(tokens)}
    pieces: list[str] = []
    skip_until = 0
    for token in tokens:
        if token.start < skip_until:
            continue
        use = uses.get(token.start)
        if use is not None:
            pieces.append(render(use))
            skip_until = use.end
        else:
            pieces.append(render_other(token) if render_other else token.text)
    return "".join(pieces)


def split_statements(sql: str) -> list[str]:
    """The statements of a script, split on top-level ``;``; blank statements are dropped."""
    statements: list[str] = []
    current: list[Token] = []
    for token in tokenize(sql) + [Token(TokenKind.PUNCTUATION, ";", len(sql))]:
        if token.kind is TokenKind.PUNCTUATION and token.text == ";":
            if any(not t.is_trivia for t in current):
                statements.append("".join(t.text for t in current).strip())
            current = []
        else:
            current.append(token)
    return statements
