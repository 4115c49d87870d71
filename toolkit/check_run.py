"""One `check` run as CI uses it: the files of this shard, then runtime evidence and the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .baseline import BaselineError, compare, load_baseline, updated_entries, write_baseline
from .discovery import SourceFile
from .renames import RenameMapError, parse_rename_map
from .report.model import KNOWN, NEW, BaselineUse, Report, RuntimeUse, Site
from .run_scope import ProjectPaths, RunScope
from .runner import Options, check, migrate_files, with_coloring
from .runtime_evidence import match_runtime, read_runtime_logs
from .shard import Shard
from .soundness import closure_findings, judge


@dataclass(frozen=True)
class CheckRequest:
    paths: list[Path] = field(default_factory=list)
    shard: Shard | None = None
    baseline: Path | None = None
    update_baseline: bool = False
    allow_growth: bool = False
    rename_map: Path | None = None
    runtime_logs: list[Path] = field(default_factory=list)
    # Also report what `migrate` of the same paths would break outside them (P004).
    closure: bool = False


@dataclass
class CheckRun:
    report: Report
    # Entries in the baseline file before and after --update-baseline rewrote it.
    baseline_rewritten: tuple[int, int] | None = None

    def failing(self, request: CheckRequest) -> bool:
        if request.update_baseline and request.allow_growth:
            return False  # every site is in the baseline that was just written
        return bool(self.report.failing)


def run_check(request: CheckRequest, options: Options, discovered: list[SourceFile]) -> CheckRun:
    paths = ProjectPaths.here(options.config.root)
    scope = RunScope(paths, request.paths, discovered, request.shard)
    # The async coloring spans files: a shard reports its slice of the whole run's coloring,
    # not a coloring solved as if only its own files were being migrated.
    options = with_coloring(discovered, options)
    report = Report.from_outcome(check(scope.checked, options), request.shard)
    if request.closure:
        verdict = judge(discovered, migrate_files(discovered, options), options)
        report.sites = sorted([*report.sites, *map(Site, closure_findings(verdict))],
                              key=lambda site: site.finding.sort_key())
    if request.runtime_logs:
        _add_runtime_evidence(report, request.runtime_logs, scope)
    if request.baseline is None:
        return CheckRun(report)
    return _apply_baseline(report, request, scope, options)


def _add_runtime_evidence(report: Report, logs: list[Path], scope: RunScope) -> None:
    records, warnings = read_runtime_logs(logs)

    def checked_path(path: str) -> str | None:
        relative = scope.locate(path)
        return scope.shown(relative) if relative is not None and scope.is_checked(relative) else None

    def elsewhere(path: str) -> bool:
        relative = scope.locate(path)
        return relative is not None and not PurePosixPath(relative).is_absolute() and not scope.covers(relative)

    matched = match_runtime(report.findings, records, checked_path, elsewhere)
    report.sites = [replace(site, runtime=matched.seen.get(i, ())) for i, site in enumerate(report.sites)]
    report.runtime = RuntimeUse(tuple(str(log) for log in logs), tuple(matched.runtime_only))
    report.warnings.extend(warnings)


def _apply_baseline(report: Report, request: CheckRequest, scope: RunScope, options: Options) -> CheckRun:
    paths = scope.paths
    try:
        entries = load_baseline(request.baseline)
    except BaselineError:
        if not (request.update_baseline and request.allow_growth and not request.baseline.exists()):
            raise
        entries = []  # creating the baseline: the one time everything goes in
    renames = {}
    if request.rename_map is not None:
        try:
            text = request.rename_map.read_text(encoding="utf-8")
        except OSError as exc:
            raise RenameMapError(f"{request.rename_map}: cannot read rename map: {exc}") from exc
        renames = {paths.relative(old): paths.relative(new) for old, new in parse_rename_map(text).items()}
    current = [(paths.relative(site.finding.path), site.finding) for site in report.sites]

    def covers(path: str, code: str) -> bool:
        if code not in options.selection:
            return False
        return scope.is_checked(path) or (not paths.exists(path) and scope.covers(path))

    comparison = compare(entries, current, renames, covers, paths.exists)
    report.sites = [
        replace(site, baseline=KNOWN, baseline_path=comparison.known[i].path) if i in comparison.known
        else replace(site, baseline=NEW)
        for i, site in enumerate(report.sites)
    ]
    report.baseline = BaselineUse(str(request.baseline), tuple(comparison.fixed))
    if not request.update_baseline:
        return CheckRun(report)
    rewritten = updated_entries(comparison, current, request.allow_growth)
    write_baseline(request.baseline, rewritten)
    return CheckRun(report, (len(entries), len(rewritten)))
