"""The passes one file goes through: parsing, the recognisers of the families, and their rewrites in registry order.

analysis.py runs them for `check` and `migrate`; prediction.py runs them to summarise a file for the repository index.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

import libcst as cst
from libcst.metadata import PositionProvider

from sqlasync.codemods.core.family import ColoringView, Family, FileContext
from sqlasync.codemods.core.heap import LARGE_SOURCE_BYTES, return_freed_memory
from sqlasync.codemods.core.rule import Match
from sqlasync.codemods.registry import RULES

from .config import Config
from .findings import Finding, fingerprint
from .problems import PARSE_ERROR, UNREADABLE
from .source import looks_binary
from .suppressions import parse_suppressions

# Cheap test before tokenizing a module for `# sqlasync: ignore` comments.
_DIRECTIVE_MARK = b"sqlasync"


def parse(source: bytes, path: str) -> cst.Module | Finding:
    """The module, or the P001/P002 finding that explains why there is none."""
    if looks_binary(source):
        return problem(UNREADABLE.code, path, "binary content (NUL bytes) in a .py file", 1, 1)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return _syntax_problem(source, path, exc)
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        return problem(UNREADABLE.code, path, f"cannot decode: {exc}", 1, 1)
    if len(source) >= LARGE_SOURCE_BYTES:
        return_freed_memory()  # what the native parser used up (heap.py), before the metadata comes on top
    return module


def _syntax_problem(source: bytes, path: str, exc: cst.ParserSyntaxError) -> Finding:
    """CPython's own message and position where it agrees the file is invalid; they read better."""
    try:
        compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as native:
        return problem(PARSE_ERROR.code, path, f"syntax error: {native.msg}", native.lineno or 1, native.offset or 1)
    except ValueError:
        pass
    return problem(PARSE_ERROR.code, path, f"syntax error: {exc.message}", exc.raw_line, exc.raw_column + 1)


def problem(code: str, path: str, message: str, line: int, column: int, *, what: str = "file") -> Finding:
    return Finding(code, message, path, line, column, line, column, False,
                   fingerprint(code, message, "", 0), reason=f"the {what} was not checked: {message}")


def recognise(context: FileContext, families: Sequence[Family],
              observers: Sequence[cst.BatchableCSTVisitor] = ()) -> list[Match]:
    recognisers = [family.recogniser(context) for family in families]
    context.visited_by(recognisers)
    context.wrapper.visit_batched([*recognisers, *observers])
    return [match for recogniser in recognisers for match in recogniser.matches]


def rewrite_module(module: cst.Module, path: str, config: Config, families: Sequence[Family], selection,
                   target: str, coloring: ColoringView | None,
                   observe: Callable[[FileContext, list[Match]], None] | None = None,
                   reuse: FileContext | None = None,
                   keep_last: bool = False) -> tuple[cst.Module, Counter[str]]:
    """Each family's rewrite in registry order, each recognising the module the previous one left.

    `observe` sees every match of every pass, fixable and selected or not. `reuse` is a context the
    caller already built for `module` with the same coloring; it is released here once the module changes.
    With `keep_last`, the last pass's context is left to the caller (who may reuse its metadata) to release."""
    fixed: Counter[str] = Counter()
    context = reuse
    for family in families:
        if family.rewrite is None:
            continue
        # Metadata and receiver evidence are the expensive part: recompute them only once the module changed.
        if context is None or context.module is not module:
            # The previous module's metadata goes before the next one's is built: one set alive, not two.
            if context is not None:
                context.release()
            context = matches = chosen = reuse = None
            context = FileContext(PurePosixPath(path), config, cst.MetadataWrapper(module, unsafe_skip_copy=True),
                                  target, coloring=coloring)
        matches = recognise(context, [family])
        if observe is not None:
            observe(context, matches)
        chosen = [m for m in matches if m.fixable and (selection is None or m.rule.code in selection)]
        chosen = _unsuppressed(context, chosen)
        if chosen:
            module = family.rewrite(context, chosen)
            fixed.update(m.rule.code for m in chosen)
    if context is not None and not keep_last:
        context.release()
    return module, fixed


def _unsuppressed(context: FileContext, matches: list[Match]) -> list[Match]:
    """Without the matches a `# sqlasync: ignore` comment silences: what check does not report, migrate
    does not rewrite. Comments travel with the code, so the module as the previous family left it tells."""
    source = context.module.bytes
    if not matches or _DIRECTIVE_MARK not in source:
        return matches
    suppressions = parse_suppressions(source, str(context.path), RULES)
    positions = context.wrapper.resolve(PositionProvider)
    return [m for m in matches if not suppressions.silences(m.rule.code, positions[m.node].start.line)]
