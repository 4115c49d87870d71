"""`--format github`: GitHub Actions workflow commands, shown as annotations on the exact lines.

Without a baseline every site is a warning. Under a baseline only new sites are annotated, as
errors: known ones are the accepted debt and would bury the new ones (GitHub shows few
annotations per step). A closing notice carries the progress headline.
"""

from __future__ import annotations

from .model import NEW, Report, Site
from .summary import baseline_line, headline, summary


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(site: Site) -> str:
    finding = site.finding
    command = "error" if site.baseline == NEW else "warning"
    properties = {"file": finding.path, "line": finding.line, "col": finding.column,
                  "endLine": finding.end_line, "title": finding.code}
    if finding.end_line == finding.line:
        properties["endColumn"] = finding.end_column
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{command} {rendered}::{escape_data(finding.message)}"


def render_github(report: Report) -> str:
    lines = [annotation(site) for site in report.failing]
    numbers = summary(report)
    closing = " ".join(filter(None, [headline(numbers), baseline_line(numbers)]))
    lines.append(f"::notice title={escape_property('sqlasync')}::{escape_data(closing)}")
    return "\n".join(lines) + "\n"
