"""Inline suppressions: `# sqlasync: ignore[Q101,S101]`, bare `# sqlasync: ignore`, `# sqlasync: ignore-file`.

A comment that ends a statement covers the findings that start anywhere in that statement (so a
multi-line query chain can be silenced at its end as well as its start); a comment on a line of
its own covers the next statement. `ignore-file` anywhere covers the whole file. Codes may be
rule prefixes (`Q`, `S1`), as with `--select`. Unknown codes are reported as warnings and ignored.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from .findings import Finding
from .source import looks_binary

_DIRECTIVE = re.compile(r"#\s*sqlasync\s*:\s*(?P<name>[A-Za-z_-]+)(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_INSIGNIFICANT = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENCODING, tokenize.ENDMARKER})


@dataclass(frozen=True)
class Suppression:
    first_line: int
    last_line: int
    # None: every code.
    codes: frozenset[str] | None

    def covers(self, finding: Finding) -> bool:
        return self.silences(finding.code, finding.line)

    def silences(self, code: str, line: int) -> bool:
        if not self.first_line <= line <= self.last_line:
            return False
        return self.codes is None or any(code.startswith(prefix) for prefix in self.codes)


@dataclass
class Suppressions:
    ranges: list[Suppression] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def silences(self, code: str, line: int) -> bool:
        return any(s.silences(code, line) for s in self.ranges)

    def split(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
        """(kept, suppressed)."""
        kept, suppressed = [], []
        for finding in findings:
            (suppressed if any(s.covers(finding) for s in self.ranges) else kept).append(finding)
        return kept, suppressed


@dataclass
class _Directive:
    line: int
    codes: frozenset[str] | None
    whole_file: bool
    trailing: bool


def parse_suppressions(source: bytes, path: str, known_codes: Iterable[str]) -> Suppressions:
    known = tuple(known_codes)
    result = Suppressions()
    if looks_binary(source):
        return result
    pending: list[_Directive] = []  # own-line comments waiting for the next statement
    open_statement: list[_Directive] = []  # trailing comments of the statement being read
    statement_start: int | None = None
    last_line = 0
    for token in _tokens(source):
        last_line = max(last_line, token.end[0])
        if token.type == tokenize.COMMENT:
            directive = _directive(token, statement_start is not None, path, known, result.warnings)
            if directive is None:
                continue
            if directive.whole_file:
                result.ranges.append(Suppression(1, sys.maxsize, directive.codes))
            elif directive.trailing:
                open_statement.append(directive)
            else:
                pending.append(directive)
        elif token.type == tokenize.NEWLINE:
            if statement_start is not None:
                for directive in (*pending, *open_statement):
                    result.ranges.append(Suppression(statement_start, token.start[0], directive.codes))
                pending, open_statement, statement_start = [], [], None
        elif token.type not in _INSIGNIFICANT and statement_start is None:
            statement_start = token.start[0]
    if statement_start is not None:
        # A file cut short (syntax error) still honours the comments read so far.
        for directive in (*pending, *open_statement):
            result.ranges.append(Suppression(statement_start, last_line, directive.codes))
    return result


def _tokens(source: bytes):
    try:
        yield from tokenize.tokenize(io.BytesIO(source).readline)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return


def _directive(token: tokenize.TokenInfo, trailing: bool, path: str, known: tuple[str, ...],
               warnings: list[str]) -> _Directive | None:
    match = _DIRECTIVE.search(token.string)
    if match is None:
        return None
    line = token.start[0]
    name = match.group("name").lower()
    if name not in ("ignore", "ignore-file"):
        warnings.append(f"{path}:{line}: unknown sqlasync directive {match.group('name')!r} "
                        "(expected `ignore`, `ignore[CODES]` or `ignore-file`); nothing suppressed")
        return None
    codes = None
    if match.group("codes") is not None:
        wanted = [c.strip().upper() for c in match.group("codes").split(",") if c.strip()]
        if not wanted:
            warnings.append(f"{path}:{line}: empty code list in `# sqlasync: {name}[]`; nothing suppressed")
            return None
        unknown = [c for c in wanted if not any(k.startswith(c) for k in known)]
        for code in unknown:
            warnings.append(f"{path}:{line}: unknown rule code {code!r} in `# sqlasync: {name}[...]` (ignored)")
        codes = frozenset(c for c in wanted if c not in unknown)
        if not codes:
            return None
    return _Directive(line, codes, name == "ignore-file", trailing)
