"""The CI-facing side of the command line: `check`'s reporting options and `report merge`."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from rich.console import Console

from .baseline import BaselineError
from .check_run import CheckRequest, run_check
from .discovery import SourceFile
from .problems import INTERNAL_ERROR
from .writing import replace_whole
from .renames import RenameMapError
from .report import FORMATS, RenderOptions, render
from .live_status import current as run_status
from .report.colour import colour_wanted
from .report.json_report import ReportFormatError, load_json
from .report.merge import MergeError, merge_reports
from .report.model import Report
from .report.text import summary_lines
from .runner import Options
from .runtime_evidence import RuntimeLogError
from .shard import Shard, ShardError

EXIT_CLEAN, EXIT_FAILING, EXIT_ERROR = 0, 1, 2


class ReportingError(Exception):
    """A baseline, rename map, runtime log, shard spec or saved report cannot be used."""


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", "--output-format", dest="format", choices=FORMATS, default="text",
                        help="text for people (default): full on a terminal (each finding's source line, carets "
                             "under its span, colour unless NO_COLOR), concise when piped or written to a file "
                             "(one line per finding); full or concise to choose; json for tools and `report "
                             "merge`; sarif, github, junit, gitlab for CI annotations; markdown for a job summary "
                             "(see docs/ci.md)")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="write the report to FILE; the terminal gets a short summary")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are failing findings")
    parser.add_argument("--statistics", action="store_true", help="counts per rule instead of one line per site")
    parser.add_argument("--show-suppressed", action="store_true",
                        help="also list sites silenced by `# sqlasync: ignore` comments")


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    add_output_arguments(parser)
    parser.add_argument("--baseline", type=Path, metavar="FILE",
                        help="known legacy sites: only sites not in FILE fail the run")
    parser.add_argument("--update-baseline", action="store_true",
                        help="rewrite --baseline FILE from this run (it only shrinks unless --allow-growth)")
    parser.add_argument("--allow-growth", action="store_true", help="let --update-baseline add the new sites")
    parser.add_argument("--rename-map", type=Path, metavar="FILE",
                        help="output of `git diff --name-status -M` so baseline entries follow renamed files")
    parser.add_argument("--runtime-log", type=Path, action="append", default=[], metavar="FILE",
                        help="JSON-lines call sites recorded by sqlasync.compat (repeatable)")
    parser.add_argument("--shard", metavar="K/N", help="check only the K-th of N deterministic slices of the files")
    parser.add_argument("--closure", action="store_true",
                        help="also report each use outside the paths that `migrate` of these paths alone would break "
                             "(P004), and the file that must come along")


def add_report_command(commands) -> None:
    report_parser = commands.add_parser("report", help="work with saved JSON reports")
    actions = report_parser.add_subparsers(dest="report_command", required=True)
    merge = actions.add_parser("merge", help="combine the JSON reports of shards into one report")
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    add_output_arguments(merge)


def run_check_command(args: argparse.Namespace, options: Options, files: list[SourceFile],
                      console: Console, errors: Console) -> int:
    if (args.update_baseline or args.rename_map or args.allow_growth) and args.baseline is None:
        raise ReportingError("--update-baseline, --allow-growth and --rename-map need --baseline FILE")
    if args.allow_growth and not args.update_baseline:
        raise ReportingError("--allow-growth only makes sense with --update-baseline")
    try:
        request = CheckRequest(
            paths=list(args.paths), shard=Shard.parse(args.shard) if args.shard else None,
            baseline=args.baseline, update_baseline=args.update_baseline, allow_growth=args.allow_growth,
            rename_map=args.rename_map, runtime_logs=list(args.runtime_log), closure=args.closure,
        )
        run = run_check(request, options, files)
    except (ShardError, BaselineError, RenameMapError, RuntimeLogError) as exc:
        raise ReportingError(str(exc)) from exc
    if run.baseline_rewritten is not None:
        before, after = run.baseline_rewritten
        errors.print(f"Baseline {args.baseline}: wrote {after} entries (was {before}).", markup=False)
    failing = run.failing(request)
    return _emit(run.report, args, console, errors, failing)


def run_report_command(args: argparse.Namespace, console: Console, errors: Console) -> int:
    loaded = []
    for file in args.reports:
        try:
            loaded.append((str(file), load_json(file.read_text(encoding="utf-8"), str(file))))
        except OSError as exc:
            raise ReportingError(f"{file}: cannot read report: {exc}") from exc
        except ReportFormatError as exc:
            raise ReportingError(str(exc)) from exc
    try:
        report = merge_reports(loaded)
    except MergeError as exc:
        raise ReportingError(str(exc)) from exc
    return _emit(report, args, console, errors, bool(report.failing))


def text_style(fmt: str, on_terminal: bool) -> str:
    """`text` is `full` for a person at a terminal, as ruff does; piped or written to a file it stays the
    one-line `concise` form that pre-commit logs, editors' problem matchers and scripts read."""
    if fmt == "text":
        return "full" if on_terminal else "concise"
    return fmt


def _emit(report: Report, args: argparse.Namespace, console: Console, errors: Console, failing: bool) -> int:
    run_status().stop()
    for warning in dict.fromkeys(report.warnings):
        errors.print(f"warning: {warning}", markup=False)
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 200
    on_terminal = args.output is None and sys.stdout.isatty()
    options = RenderOptions(statistics=args.statistics, show_suppressed=args.show_suppressed, width=width,
                            source_root=Path.cwd(), colour=args.output is None and colour_wanted(sys.stdout))
    text = render(report, text_style(args.format, on_terminal), options)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            replace_whole(args.output, text.encode("utf-8"))
        except OSError as exc:
            raise ReportingError(f"{args.output}: cannot write the report: {exc}") from exc
        for line in summary_lines(report):
            console.print(line, markup=False, highlight=False)
        console.print(f"Wrote the {args.format} report to {args.output}.", markup=False, highlight=False)
    if any(f.code == INTERNAL_ERROR.code for f in report.findings):
        return EXIT_ERROR
    return EXIT_FAILING if failing and not args.exit_zero else EXIT_CLEAN
