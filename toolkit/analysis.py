"""One file through the recognisers (`check`) and through the rewrite pipeline (`migrate`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

import libcst as cst
from libcst.metadata import PositionProvider

from sqlasync.codemods.core.family import ColoringView, Family, FileContext
from sqlasync.codemods.core.drained_generators import awaiting_generators_as_lists
from sqlasync.codemods.core.house_style import in_house_style
from sqlasync.codemods.core.pragmas import pragmas_kept_on_their_line
from sqlasync.codemods.core.progress import MigratedConstructs
from sqlasync.codemods.registry import RULES
from sqlasync.codemods.core.rule import Match

from .config import Config
from .findings import Finding, fingerprint
from .passes import parse, recognise, rewrite_module
from .prediction import resume_from_prediction, single_file_coloring
from .problems import PROBLEMS
from .selection import Selection
from .suppressions import Suppressions, parse_suppressions

_WHITESPACE = re.compile(r"\s+")


class RewriteError(Exception):
    """A rewrite produced code that does not parse or compile; the file is left untouched."""


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    parsed: bool = False
    # Silenced by `# sqlasync: ignore` comments; kept for --show-suppressed and the reports.
    suppressed: list[Finding] = field(default_factory=list)
    # Migrated constructs by name (codemods/core/progress.py): the other side of the progress numbers.
    migrated: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def selected(self, selection: Selection) -> FileResult:
        return replace(self, findings=[f for f in self.findings if f.code in selection],
                       suppressed=[f for f in self.suppressed if f.code in selection])

    def to_dict(self) -> dict:
        return {"path": self.path, "findings": [f.to_dict() for f in self.findings], "parsed": self.parsed,
                "suppressed": [f.to_dict() for f in self.suppressed], "migrated": self.migrated,
                "warnings": self.warnings}

    @classmethod
    def from_dict(cls, data: dict) -> FileResult:
        return cls(data["path"], [Finding.from_dict(f) for f in data["findings"]], data["parsed"],
                   [Finding.from_dict(f) for f in data["suppressed"]], data["migrated"], data["warnings"])


def analyse(source: bytes, path: str, config: Config, families: Sequence[Family], target: str,
            coloring: ColoringView | None = None, context: FileContext | None = None) -> FileResult:
    """`coloring` is the run's repository-wide async coloring; without one the file is its own repository.

    `context`, when given, is one built for this very source with this coloring (its metadata is reused); it is
    released here."""
    suppressions = parse_suppressions(source, path, {*RULES, *PROBLEMS, *(r.code for f in families for r in f.rules)})
    if context is None:
        parsed = parse(source, path)
        if isinstance(parsed, Finding):
            return _result(path, [parsed], suppressions)
        if coloring is None:
            coloring = single_file_coloring(source, path, config, families, None, target)
        context = FileContext(PurePosixPath(path), config, cst.MetadataWrapper(parsed, unsafe_skip_copy=True),
                              target, coloring=coloring)
    progress = MigratedConstructs(context)
    findings = to_findings(context, recognise(context, families, [progress]))
    context.release()
    return _result(path, findings, suppressions, parsed=True, migrated=dict(sorted(progress.counts.items())))


def _result(path: str, findings: list[Finding], suppressions: Suppressions, **details) -> FileResult:
    kept, suppressed = suppressions.split(findings)
    return FileResult(path, kept, suppressed=suppressed, warnings=suppressions.warnings, **details)


def to_findings(context: FileContext, matches: list[Match]) -> list[Finding]:
    if not matches:
        return []
    positions = context.wrapper.resolve(PositionProvider)
    parents = context.parents
    occurrences: Counter[tuple[str, str, str]] = Counter()
    findings = []
    for match in sorted(matches, key=lambda m: (positions[m.node].start.line, positions[m.node].start.column)):
        where = positions[match.node]
        normalised = _WHITESPACE.sub(" ", context.module.code_for_node(match.node)).strip()
        enclosing = _enclosing_path(match.node, parents)
        key = (match.rule.code, normalised, enclosing)
        findings.append(Finding(
            code=match.rule.code, message=match.message, path=str(context.path),
            line=where.start.line, column=where.start.column + 1,
            end_line=where.end.line, end_column=where.end.column + 1,
            fixable=match.fixable, fingerprint=fingerprint(*key, occurrences[key]),
            reason=match.reason, needs=match.needs,
        ))
        occurrences[key] += 1
    return findings


def _enclosing_path(node: cst.CSTNode, parents) -> str:
    names = []
    current = parents.get(node)
    while current is not None:
        if isinstance(current, (cst.FunctionDef, cst.ClassDef)):
            names.append(current.name.value)
        current = parents.get(current)
    return ".".join(reversed(names))


@dataclass
class Migration:
    """What `migrate` did to one file: the new bytes (if any change) and the sites fixed and left."""

    path: str
    original: bytes
    updated: bytes | None = None
    fixed: Counter[str] = field(default_factory=Counter)
    left: list[Finding] = field(default_factory=list)
    error: str | None = None


def migrate(source: bytes, path: str, config: Config, families: Sequence[Family], selection: Selection,
            target: str, coloring: ColoringView | None = None) -> Migration:
    """Apply each family's rewrite in order, re-recognising after every pass; verify before returning."""
    result = Migration(path, source)
    parsed = parse(source, path)
    if isinstance(parsed, Finding):
        result.left = [parsed] if parsed.code in selection else []
        return result
    if coloring is None:
        coloring = single_file_coloring(source, path, config, families, selection, target)
    # The index already ran the families before F on this very source; reuse that when its answers stand.
    # (What is left is still recognised by every family, not only the ones that had to run again.)
    module, fixed, pending = resume_from_prediction(coloring, path, source, families) or (parsed, Counter(), families)
    last_pass: list[FileContext] = []

    def observe(context: FileContext, _matches) -> None:
        last_pass[:] = [context]

    module, more = rewrite_module(module, path, config, pending, selection, target, coloring, observe=observe,
                                  keep_last=True)
    module = pragmas_kept_on_their_line(parsed, awaiting_generators_as_lists(module))
    updated = in_house_style(parsed, module, config.root).bytes
    result.fixed.update(fixed + more)
    # A file no pass changed was recognised on the parsed source itself: its last pass's metadata serves the
    # analysis of what is left (most files of a run). Otherwise both trees are used up: the analysis below
    # parses the result anew, so on a large file at most one tree and its metadata are alive at a time.
    reusable = last_pass[0].kept_for(parsed if updated == source else None) if last_pass else None
    parsed = module = None
    last_pass.clear()
    if updated != source:
        verify(updated, path)
        result.updated = updated
    remaining = analyse(updated, path, config, families, target, coloring, context=reusable)
    result.left = [f for f in remaining.findings if f.code in selection]
    return result


def verify(source: bytes, path: str) -> None:
    try:
        cst.parse_module(source)
        compile(source, path, "exec", dont_inherit=True)
    except (cst.ParserSyntaxError, SyntaxError, ValueError) as exc:
        raise RewriteError(f"{path}: the rewrite produced invalid code ({exc}); file left untouched") from exc
