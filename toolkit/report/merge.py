"""`sqlasync report merge`: one report from the JSON reports of shards (or of disjoint runs)."""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding
from .model import BaselineUse, Report, RuntimeUse


class MergeError(ValueError):
    pass


def merge_reports(reports: Sequence[tuple[str, Report]]) -> Report:
    """Combine reports; refuses overlapping inputs and incomplete shard sets, which would miscount."""
    if not reports:
        raise MergeError("nothing to merge")
    _check_shards(reports)
    _check_disjoint(reports)
    parts = [report for _, report in reports]
    baselines = {(r.baseline.file if r.baseline else None) for r in parts}
    if len(baselines) > 1:
        raise MergeError("the reports were not all checked against the same baseline: "
                         + ", ".join(sorted(str(b) for b in baselines)))
    sites = sorted((site for r in parts for site in r.sites), key=lambda s: s.finding.sort_key())
    merged = Report(
        sites=sites,
        suppressed=sorted((f for r in parts for f in r.suppressed), key=Finding.sort_key),
        migrated={path: counts for r in parts for path, counts in r.migrated.items()},
        files_scanned=sum(r.files_scanned for r in parts),
        # Every shard reads the same runtime log, so its warnings come once per shard.
        warnings=list(dict.fromkeys(w for r in parts for w in r.warnings)),
        shards=tuple(sorted(s for r in parts for s in r.shards)),
    )
    if baselines != {None}:
        # A file moved across shards is "known" in its new shard and "fixed" in its old one.
        matched = {(s.finding.fingerprint, s.baseline_path) for s in sites if s.baseline_path}
        fixed = sorted({e for r in parts for e in r.baseline.fixed if (e.fingerprint, e.path) not in matched})
        merged.baseline = BaselineUse(parts[0].baseline.file, tuple(fixed))
    if any(r.runtime for r in parts):
        logs = sorted({log for r in parts if r.runtime for log in r.runtime.logs})
        # A record in no project file is listed by every shard: keep it once.
        runtime_only = sorted({rec for r in parts if r.runtime for rec in r.runtime.runtime_only})
        merged.runtime = RuntimeUse(tuple(logs), tuple(runtime_only))
    return merged


def _check_shards(reports: Sequence[tuple[str, Report]]) -> None:
    sharded = [(origin, r.shards) for origin, r in reports if r.shards]
    if not sharded:
        return
    if len(sharded) != len(reports):
        raise MergeError("cannot merge sharded and unsharded reports: "
                         + ", ".join(origin for origin, r in reports if not r.shards))
    counts = {s.count for _, shards in sharded for s in shards}
    if len(counts) > 1:
        raise MergeError(f"the reports come from different shard counts: {sorted(counts)}")
    seen = [s.index for _, shards in sharded for s in shards]
    duplicates = sorted({i for i in seen if seen.count(i) > 1})
    if duplicates:
        raise MergeError(f"shard(s) {', '.join(map(str, duplicates))} given more than once")
    (count,) = counts
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise MergeError(f"missing shard(s) {', '.join(f'{i}/{count}' for i in missing)}: the numbers would be partial")


def _check_disjoint(reports: Sequence[tuple[str, Report]]) -> None:
    owner: dict[str, str] = {}
    for origin, report in reports:
        paths = {s.finding.path for s in report.sites} | {f.path for f in report.suppressed} | set(report.migrated)
        for path in paths:
            if owner.setdefault(path, origin) != origin:
                raise MergeError(f"{path} appears in both {owner[path]} and {origin}: the runs overlap")
