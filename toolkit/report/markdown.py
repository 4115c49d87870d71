"""`--format markdown`: a summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

from sqlasync.codemods.core.progress import CONSTRUCTS_BY_NAME
from sqlasync.codemods.registry import RULES

from ..problems import PROBLEMS
from .model import Report
from .summary import summary

# A PR comment must stay readable on a codebase with thousands of sites.
MAX_LISTED = 50
MAX_DIRECTORIES = 25
PROGRESS_COLUMNS = ["Legacy left", "Fixable", "Manual", "Migrated", "Progress"]
PROGRESS_NUMBERS = (1, 2, 3, 4, 5)


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]], numeric: tuple[int, ...]) -> list[str]:
    """A GitHub-flavoured table; the `numeric` columns are right-aligned."""
    align = ["--:" if i in numeric else "---" for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)]


def _progress_rows(rows: dict[str, dict], limit: int | None = None) -> list[list[object]]:
    ordered = sorted(rows.items(), key=lambda item: (-item[1]["legacy"], item[0]))
    return [[f"`{name}`", r["legacy"], r["fixable"], r["manual"], r["migrated"], f"{r['percent']:.1f}%"]
            for name, r in ordered[:limit]]


def render_markdown(report: Report) -> str:
    numbers = summary(report)
    done = numbers["progress"]
    out = ["## sqlasync: legacy database access", ""]
    out.append(f"**{done['percent']:.1f}% migrated**: {done['migrated']} migrated construct(s), "
               f"{done['legacy']} legacy site(s) left ({done['fixable']} fixable by `sqlasync migrate`, "
               f"{done['manual']} manual) in {numbers['files_with_findings']} of {numbers['files_scanned']} file(s).")
    if numbers["baseline"] is not None:
        state = numbers["baseline"]
        verdict = "**fails**: legacy access was added" if state["new"] else "passes"
        out += ["", f"Baseline `{_cell(state['file'])}`: **{state['new']} new**, {state['known']} known, "
                    f"{state['fixed']} fixed since the baseline. The check {verdict}."]
    if numbers["runtime"] is not None:
        runtime = numbers["runtime"]
        out += ["", f"Runtime evidence: {runtime['seen_at_runtime']} site(s) seen executing, "
                    f"{runtime['runtime_only']} legacy call site(s) seen only at runtime."]
    if numbers["suppressed"]:
        out += ["", f"{numbers['suppressed']} site(s) suppressed by `# sqlasync: ignore` comments."]
    out += ["", "### By family", "", *_table(["Family", *PROGRESS_COLUMNS], _progress_rows(done["by_family"]),
                                              PROGRESS_NUMBERS)]
    for family, row in sorted(done["follow_on"].items()):
        out += ["", f"Follow-on work ({family}): {row['sites']} site(s) ({row['fixable']} fixable, "
                    f"{row['manual']} manual) that change once the legacy sites above are migrated."]
    directories = done["by_directory"]
    if directories:
        shown = min(len(directories), MAX_DIRECTORIES)
        out += ["", f"<details><summary>By directory ({shown} of {len(directories)}, most legacy first)</summary>",
                "", *_table(["Directory", *PROGRESS_COLUMNS], _progress_rows(directories, MAX_DIRECTORIES),
                            PROGRESS_NUMBERS), "", "</details>"]
    if numbers["by_code"]:
        rules = {**RULES, **PROBLEMS}
        rows = [[f"`{code}`", count, rules[code].summary if code in rules else ""]
                for code, count in sorted(numbers["by_code"].items(), key=lambda item: (-item[1], item[0]))]
        out += ["", "### By rule", "", *_table(["Rule", "Sites", "What"], rows, (1,))]
    if done["by_construct"]:
        rows = [[f"`{name}`", count, CONSTRUCTS_BY_NAME[name].summary if name in CONSTRUCTS_BY_NAME else ""]
                for name, count in sorted(done["by_construct"].items(), key=lambda item: (-item[1], item[0]))]
        out += ["", "<details><summary>Migrated constructs</summary>", "",
                *_table(["Construct", "Count", "What"], rows, (1,)), "", "</details>"]
    if report.baseline is not None and report.failing:
        out += ["", "### New legacy sites", ""]
        out += [f"- `{_cell(s.finding.path)}:{s.finding.line}` {s.finding.code} {_cell(s.finding.message)}"
                for s in report.failing[:MAX_LISTED]]
        if len(report.failing) > MAX_LISTED:
            out.append(f"- ... and {len(report.failing) - MAX_LISTED} more")
    if report.runtime is not None and report.runtime.runtime_only:
        only = report.runtime.runtime_only
        out += ["", "### Seen only at runtime", ""]
        out += [f"- `{_cell(r.path)}:{r.line}` {r.code} via `{r.entry}` in `{_cell(r.function)}`" for r in only[:MAX_LISTED]]
        if len(only) > MAX_LISTED:
            out.append(f"- ... and {len(only) - MAX_LISTED} more")
    return "\n".join(out) + "\n"
