"""Report formats for `check`: text for people, JSON for machines."""

from __future__ import annotations

import json
from collections import Counter

from rich.console import Console
from rich.table import Table

from . import __version__
from .findings import Finding
from .runner import CheckOutcome


def summary(outcome: CheckOutcome) -> dict:
    findings = outcome.findings
    return {
        "total": len(findings),
        "fixable": sum(f.fixable for f in findings),
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
        "files_scanned": outcome.files_scanned,
        "files_with_findings": sum(1 for r in outcome.results if r.findings),
    }


def render_json(outcome: CheckOutcome) -> str:
    return json.dumps(
        {"version": __version__, "findings": [f.to_dict() for f in outcome.findings], "summary": summary(outcome)},
        indent=2,
    ) + "\n"


def text_line(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}"


def render_text(outcome: CheckOutcome, console: Console, statistics: bool, rule_summaries: dict[str, str]) -> None:
    findings = outcome.findings
    if statistics:
        _statistics_table(findings, console, rule_summaries)
    else:
        for finding in findings:
            console.print(text_line(finding), markup=False, highlight=False, soft_wrap=True)
    counts = summary(outcome)
    if counts["total"]:
        console.print(
            f"Found {counts['total']} legacy site(s) in {counts['files_with_findings']} of "
            f"{counts['files_scanned']} file(s); {counts['fixable']} fixable with `sqlasync migrate`.",
            markup=False, highlight=False,
        )
    else:
        console.print(f"No legacy sites found in {counts['files_scanned']} file(s).", markup=False, highlight=False)


def _statistics_table(findings: list[Finding], console: Console, rule_summaries: dict[str, str]) -> None:
    table = Table(box=None, show_header=True, pad_edge=False)
    for column in ("count", "code", "fixable", "rule"):
        table.add_column(column, justify="right" if column == "count" else "left")
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.fixable)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(str(count), code, str(fixable[code]), rule_summaries.get(code, ""))
    console.print(table)
