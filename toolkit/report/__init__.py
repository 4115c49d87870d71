"""Reports of a `check` run in every format CI systems read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .colour import Palette
from .github import render_github
from .gitlab import render_gitlab
from .json_report import render_json
from .junit import render_junit
from .markdown import render_markdown
from .model import Report
from .sarif import render_sarif
from .snippets import SourceLines
from .text import render_text

# `text` is `full` on a terminal and `concise` otherwise (the command line decides; render() takes it as concise).
FORMATS = ("text", "full", "concise", "json", "sarif", "github", "junit", "gitlab", "markdown")
TEXT_FORMATS = ("text", "full", "concise")


@dataclass(frozen=True)
class RenderOptions:
    statistics: bool = False
    show_suppressed: bool = False
    width: int | None = 200
    # The folder SARIF paths are relative to (where check ran), and the one `full` reads source lines from.
    source_root: Path = Path(".")
    colour: bool = False


def render(report: Report, fmt: str, options: RenderOptions) -> str:
    if fmt in TEXT_FORMATS:
        sources = SourceLines(options.source_root) if fmt == "full" else None
        return render_text(report, statistics=options.statistics, show_suppressed=options.show_suppressed,
                           width=options.width, sources=sources, palette=Palette(options.colour))
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report, source_root=options.source_root, show_suppressed=options.show_suppressed)
    if fmt == "github":
        return render_github(report)
    if fmt == "junit":
        return render_junit(report, show_suppressed=options.show_suppressed)
    if fmt == "gitlab":
        return render_gitlab(report)
    if fmt == "markdown":
        return render_markdown(report)
    raise ValueError(f"unknown report format {fmt!r}")
