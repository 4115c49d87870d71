"""`--format json`: the whole report, loadable again by `sqlasync report merge`."""

from __future__ import annotations

import json

from .. import __version__
from ..baseline import BaselineEntry
from ..runtime_evidence import RuntimeRecord
from ..shard import Shard
from .model import BaselineUse, Report, RuntimeUse, Site, finding_from_dict
from .summary import summary

# Bumped when a change would make an older `report merge` misread the file.
REPORT_FORMAT = 1


class ReportFormatError(ValueError):
    pass


def render_json(report: Report) -> str:
    data = {
        "version": __version__,
        "report_format": REPORT_FORMAT,
        "shards": [{"index": s.index, "count": s.count} for s in report.shards],
        "findings": [site.to_dict() for site in report.sites],
        "suppressed": [f.to_dict() for f in report.suppressed],
        "migrated": report.migrated,
        "baseline": None if report.baseline is None else {
            "file": report.baseline.file, "fixed": [e.to_dict() for e in report.baseline.fixed]},
        "runtime": None if report.runtime is None else {
            "logs": list(report.runtime.logs), "runtime_only": [r.to_dict() for r in report.runtime.runtime_only]},
        "warnings": report.warnings,
        "summary": summary(report),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_json(text: str, origin: str) -> Report:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportFormatError(f"{origin}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("report_format") != REPORT_FORMAT:
        raise ReportFormatError(
            f"{origin}: not a sqlasync JSON report of format {REPORT_FORMAT} (write it with --format json)")
    try:
        baseline = data["baseline"]
        runtime = data["runtime"]
        return Report(
            sites=[Site.from_dict(item) for item in data["findings"]],
            suppressed=[finding_from_dict(item) for item in data["suppressed"]],
            migrated={path: dict(counts) for path, counts in data["migrated"].items()},
            files_scanned=data["summary"]["files_scanned"],
            warnings=list(data["warnings"]),
            baseline=None if baseline is None else BaselineUse(
                baseline["file"], tuple(BaselineEntry.from_dict(e) for e in baseline["fixed"])),
            runtime=None if runtime is None else RuntimeUse(
                tuple(runtime["logs"]), tuple(RuntimeRecord.from_dict(r) for r in runtime["runtime_only"])),
            shards=tuple(Shard(s["index"], s["count"]) for s in data["shards"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportFormatError(f"{origin}: malformed report: {exc!r}") from exc
