"""`--format text`: one line per site for people, and the summary lines."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table

from sqlasync.codemods.registry import RULES

from ..findings import Finding
from ..problems import PROBLEMS
from .colour import Palette
from .model import Report, Site
from .snippets import SourceLines, snippet
from .summary import baseline_line, headline, summary, verdict


def text_line(finding: Finding, palette: Palette = Palette()) -> str:
    return (f"{palette.location(f'{finding.path}:{finding.line}:{finding.column}:')} "
            f"{palette.code(finding.code)} {finding.message}")


def _site_lines(site: Site, sources: SourceLines | None, palette: Palette, note: str = "") -> list[str]:
    """The finding's line; under `full`, its source line with carets under the span and a blank line."""
    line = text_line(site.finding, palette) + note
    if site.runtime:
        entries = ", ".join(sorted({r.entry for r in site.runtime}))
        line += f" [seen at runtime: {entries}]"
    if sources is None:
        return [line]
    return [line, *snippet(site.finding, sources, palette), ""]


def summary_lines(report: Report) -> list[str]:
    """The short summary: what a terminal shows when the full report goes to --output."""
    numbers = summary(report)
    lines = [headline(numbers)]
    if numbers["baseline"] is not None:
        lines.append(baseline_line(numbers))
    if numbers["runtime"] is not None:
        runtime = numbers["runtime"]
        lines.append(f"Runtime log: {runtime['seen_at_runtime']} site(s) seen executing, "
                     f"{runtime['runtime_only']} legacy call site(s) seen only at runtime.")
    if numbers["suppressed"]:
        lines.append(f"{numbers['suppressed']} site(s) suppressed by `# sqlasync: ignore` comments.")
    lines.append(verdict(numbers))
    return lines


def render_text(report: Report, *, statistics: bool = False, show_suppressed: bool = False,
                width: int | None = 200, sources: SourceLines | None = None, palette: Palette = Palette()) -> str:
    """Under a baseline only new sites are listed: known ones are counted, not repeated on every run.
    `statistics` counts every site per rule instead. With `sources` (`--format full`) each finding is
    followed by its source line and carets under its span."""
    lines: list[str] = []
    if statistics:
        lines.append(_statistics_table(report.findings, width))
    else:
        for site in report.failing:
            lines.extend(_site_lines(site, sources, palette))
        if show_suppressed:
            for finding in report.suppressed:
                lines.extend(_site_lines(Site(finding), sources, palette, " [suppressed]"))
    if report.runtime is not None:
        lines.extend(f"{r.path}:{r.line}: {r.code} seen only at runtime ({r.entry} in {r.function})"
                     for r in report.runtime.runtime_only)
    lines.extend(summary_lines(report))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _statistics_table(findings: list[Finding], width: int | None) -> str:
    rules = {**RULES, **PROBLEMS}
    table = Table(box=None, show_header=True, pad_edge=False)
    for column in ("count", "code", "fixable", "manual", "rule"):
        table.add_column(column, justify="right" if column == "count" else "left")
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.fixable)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(str(count), code, str(fixable[code]), str(count - fixable[code]),
                      rules[code].summary if code in rules else "")
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, soft_wrap=True, color_system=None)
    console.print(table)
    for line in manual_reasons(findings, rules):
        console.print(line, markup=False)
    return buffer.getvalue()


def manual_reasons(findings: list[Finding], rules: dict) -> list[str]:
    """Why the manual findings of rules that `sqlasync rules` lists as fixable were not fixable here:
    the commonest reasons of each such rule, so a fixable rule with no fixable finding is not a riddle."""
    reasons: dict[str, Counter[str]] = {}
    for finding in findings:
        rule = rules.get(finding.code)
        if not finding.fixable and rule is not None and rule.fixable:
            reasons.setdefault(finding.code, Counter())[finding.reason or "no reason recorded"] += 1
    if not reasons:
        return []
    lines = ["Manual findings of rules that are fixable elsewhere, by reason:"]
    for code in sorted(reasons):
        common = reasons[code].most_common()
        lines.extend(f"  {code} {count:>5}  {reason}" for reason, count in common[:MAX_REASONS])
        if len(common) > MAX_REASONS:
            others = sum(count for _, count in common[MAX_REASONS:])
            lines.append(f"  {code} {others:>5}  ({len(common) - MAX_REASONS} other reason(s); the findings list them)")
    return lines


# Reasons shown per rule under --statistics; reasons name functions and variables, so they vary a lot.
MAX_REASONS = 3
