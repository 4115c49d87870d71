"""The numbers every format shows, computed once (and carried verbatim by `--format json`)."""

from __future__ import annotations

from collections import Counter

from ..counts import Counts, count
from ..progress import progress
from .model import KNOWN, NEW, Report


def summary(report: Report) -> dict:
    findings = report.findings
    counts = count(findings)
    data = {
        "total": counts.findings,
        "fixable": counts.fixable,
        "manual": counts.manual,
        "legacy": counts.legacy,
        "follow_on": counts.follow_on,
        "problems": counts.problems,
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
        "files_scanned": report.files_scanned,
        "files_with_findings": report.files_with_findings,
        "suppressed": len(report.suppressed),
        "failing": len(report.failing),
        "progress": progress(findings, report.migrated),
        "baseline": None,
        "runtime": None,
    }
    if report.baseline is not None:
        data["baseline"] = {
            "file": report.baseline.file,
            "new": sum(site.baseline == NEW for site in report.sites),
            "known": sum(site.baseline == KNOWN for site in report.sites),
            "fixed": len(report.baseline.fixed),
        }
    if report.runtime is not None:
        data["runtime"] = {
            "logs": list(report.runtime.logs),
            "seen_at_runtime": sum(bool(site.runtime) for site in report.sites),
            "runtime_only": len(report.runtime.runtime_only),
        }
    return data


def headline(numbers: dict) -> str:
    """One sentence on progress, for terminals, annotations and PR comments."""
    done = numbers["progress"]
    follow_on = sum(row["sites"] for row in done["follow_on"].values())
    return (f"Migration {done['percent']:.1f}% done: {done['migrated']} migrated construct(s), "
            f"{done['legacy']} legacy site(s) left ({done['fixable']} fixable, {done['manual']} manual)"
            + (f"; {follow_on} follow-on finding(s)." if follow_on else "."))


def verdict(numbers: dict) -> str:
    """Every finding of the run in the vocabulary of `sqlasync.counts`."""
    if numbers["total"] == 0:
        return f"No findings in {numbers['files_scanned']} file(s)."
    counts = Counts(numbers["total"], numbers["legacy"], numbers["follow_on"], numbers["problems"],
                    numbers["fixable"])
    return (f"Found {counts.findings} finding(s) in {numbers['files_with_findings']} of "
            f"{numbers['files_scanned']} file(s): {counts.breakdown()}; {counts.fixable} fixable by "
            f"`sqlasync migrate`, {counts.manual} manual.")


def baseline_line(numbers: dict) -> str | None:
    state = numbers["baseline"]
    if state is None:
        return None
    return (f"Baseline {state['file']}: {state['new']} new, {state['known']} known, "
            f"{state['fixed']} fixed since the baseline.")
