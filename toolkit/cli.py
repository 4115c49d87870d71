"""The `sqlasync` command line: check, migrate, rules, explain, report, init."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import os
import select
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import libcst as cst
from rich.console import Console

from sqlasync.codemods.registry import RULES

from . import __version__, scaffold
from .check_command import (
    ReportingError,
    add_check_arguments,
    add_report_command,
    run_check_command,
    run_report_command,
)
from .config import TARGETS, ConfigError, load_config
from .closure import sound_migrations
from .counts import VOCABULARY, count
from .dependencies import needed_packages
from .git_state import UnsafeToRewrite, refuse_uncommitted, refuse_unsafe_rewrites, refuse_untracked
from .project_sources import with_project_sources
from .diffs import on_disk_line, unified_diff
from .plan_command import NoSuchBatch, add_batch_arguments, add_plan_command, batch_migrations, run_plan_command
from .discovery import DiscoveryError, discover, leave_out
from .problems import PROBLEMS, describe_bug
from .report.rule_help import rule_markdown, rules_reference
from .runner import Options, WorkerDied
from .selection import Selection, SelectionError, parse_selectors
from .interrupts import Interrupted, stop_signals_raise
from .live_status import current as run_status, shown_on
from .report import TEXT_FORMATS
from .verify import Verification, VerifyError, print_verification
from .writing import WriteError, remove_stale_temps, write_all

EXIT_CLEAN, EXIT_PENDING, EXIT_ERROR = 0, 1, 2
# A write that fails for want of room (or of a working device): the disk's fault, not a bug.
OUT_OF_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
# A refused run shows this many broken uses per file (the count says how many more there are).
REFUSAL_EXAMPLES = 3
ALL_RULES = {**RULES, **PROBLEMS}


class UsageError(Exception):
    pass


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the current folder)")
    parser.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes, comma-separated")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes to leave out")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not write the results cache")
    parser.add_argument("--target", choices=TARGETS,
                        help="async (AsyncSession, default) or sync (2.0 style on Session)")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="leave matching files out of this run (gitignore-style, from the project root); "
                             "they stay part of the project: migrated callers reach them through the compat bridge")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sqlasync", description=__doc__)
    parser.add_argument("--version", action="version", version=f"sqlasync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    # The count vocabulary is explained once, the same way under both commands that print counts.
    counted = {"epilog": VOCABULARY, "formatter_class": argparse.RawDescriptionHelpFormatter}
    check_parser = commands.add_parser("check", help="report legacy database access", **counted)
    _common(check_parser)
    add_check_arguments(check_parser)
    check_parser.add_argument("--no-prefilter", action="store_true",
                              help="parse every file (slower; finds syntax errors everywhere)")

    migrate_parser = commands.add_parser("migrate", help="rewrite legacy database access", **counted)
    _common(migrate_parser)
    mode = migrate_parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
    migrate_parser.add_argument("--allow-dirty", action="store_true", help="rewrite files with uncommitted git changes")
    migrate_parser.add_argument("--with-dependents", action="store_true",
                                help="when the paths would leave code outside them broken (a sync user of what "
                                     "becomes async, an async user of what stays sync), migrate those files too "
                                     "instead of refusing the run")
    migrate_parser.add_argument("--batch", type=int, metavar="K",
                                help="migrate batch K of `sqlasync plan` over the same paths (the plan of the "
                                     "tree as it is now: after batch 1 is applied, the next is batch 1 again)")
    migrate_parser.add_argument("--verify", metavar="CMD",
                                help="apply the plan batch by batch, running CMD (your test command, through the "
                                     "shell) after each; when it fails, the batch's files are bisected to the "
                                     "fewest whose rewrite breaks CMD, those are put back as they were and left "
                                     "legacy, and the run goes on; Ctrl-C leaves the tree at the last kept batch")
    migrate_parser.add_argument("--commit", action="store_true",
                                help="with --verify: one git commit per kept batch, listing the rules applied and "
                                     "the sites left")
    add_batch_arguments(migrate_parser)
    plan_parser = add_plan_command(commands)
    _common(plan_parser)

    rules_parser = commands.add_parser("rules", help="list every rule")
    rules_parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                              help="markdown: the full reference, as published in docs/rules.md")
    explain_parser = commands.add_parser("explain", help="print a rule's documentation")
    explain_parser.add_argument("code")
    init_parser = commands.add_parser(
        "init", help="write an async database module (engine, get_db, health checks)",
        description="Write an async SQLAlchemy database module for a project that has none: an engine from "
                    "DATABASE_URL with pool settings, an async_sessionmaker SessionLocal, a FastAPI get_db "
                    "dependency, init_db/close_db for start-up and shut-down, and health checks. Then point "
                    "[tool.sqlasync] get-db and session-factory at it so that migrated code imports from it.")
    init_parser.add_argument("--path", type=Path, default=scaffold.DEFAULT_PATH,
                             help=f"where to write it (default: {scaffold.DEFAULT_PATH}); never overwrites")
    add_report_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _collect_less_often()
    # Tables stay one row per line when piped; a terminal gets its own width.
    width = None if sys.stdout.isatty() else 200
    console = Console(highlight=False, soft_wrap=True, width=width)
    errors = Console(stderr=True, highlight=False, soft_wrap=True, width=width)
    try:
        with stop_signals_raise(), _status_shown(args):
            code = _run(args, console, errors)
        sys.stdout.flush()  # here, where a reader that has gone is seen, not at exit
        return code
    except BrokenPipeError as exc:
        if not _stdout_reader_gone():
            errors.print(f"sqlasync: {describe_bug(exc)}", markup=False)
            return EXIT_ERROR
        # `sqlasync migrate --diff | head`: the reader has what it wanted. Quietly, with rich's exit code for
        # the same (a report printed through rich ends so); stdout goes nowhere so that exiting flushes nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PENDING
    except Interrupted as stop:
        errors.print(f"sqlasync: interrupted ({stop})", markup=False)
        return stop.exit_code
    except (ConfigError, DiscoveryError, SelectionError, UsageError, ReportingError, scaffold.ScaffoldError,
            WriteError, NoSuchBatch, VerifyError, WorkerDied, UnsafeToRewrite) as exc:
        errors.print(f"sqlasync: error: {exc}", markup=False)
        return EXIT_ERROR
    except OSError as exc:
        if exc.errno not in OUT_OF_SPACE:
            errors.print(f"sqlasync: {describe_bug(exc)}", markup=False)
            return EXIT_ERROR
        # Files of the project fail as WriteError, the cache's are let go: what is left is the output itself
        # (`sqlasync check > report.txt` on a full disk), no bug to report.
        where = f" {exc.filename}" if exc.filename else " the output"
        errors.print(f"sqlasync: error: cannot write{where}: {exc.strerror}", markup=False)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - exit 1 means findings to CI; a bug must not read as one
        errors.print(f"sqlasync: {describe_bug(exc)}", markup=False)
        return EXIT_ERROR


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reading end is closed (a BrokenPipeError from elsewhere is a bug)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _collect_less_often() -> None:
    """LibCST allocates millions of small objects that live as long as one file's analysis; at the default
    thresholds the cyclic collector walks them again and again (a tenth of the CPU of `check` on a
    4,000-line file, benchmarks/bench_large_file.py). Fewer young collections mean fewer older ones too."""
    gc.set_threshold(50_000, 20, 100)


def _status_shown(args: argparse.Namespace):
    """The run's phase, files done and elapsed time on stderr, for a person at a terminal: never when stderr
    is piped or captured, nor beside a report for machines (json, sarif, github, junit, gitlab, markdown)."""
    if args.command not in ("check", "migrate", "plan") or not sys.stderr.isatty():
        return contextlib.nullcontext()
    if args.command == "check" and args.format not in TEXT_FORMATS:
        return contextlib.nullcontext()
    return shown_on(Console(stderr=True))


def _run(args: argparse.Namespace, console: Console, errors: Console) -> int:
    if args.command == "rules":
        return _rules(args, console)
    if args.command == "explain":
        return _explain(args.code, console)
    if args.command == "report":
        return run_report_command(args, console, errors)
    if args.command == "init":
        return _init(args.path, console)
    if args.command == "plan":
        return run_plan_command(args, lambda: _prepare(args), console)
    # A run that would write refuses a dirty tree once it knows the files, before it reads any of them.
    writes = args.command == "migrate" and not (args.diff or args.check)
    options, files = _prepare(args, refuse_dirty=writes and not args.allow_dirty)
    if args.command == "check":
        return run_check_command(args, options, files, console, errors)
    return _migrate(args, options, files, console)


def _prepare(args: argparse.Namespace, *, refuse_dirty: bool = False):
    config = load_config(args.paths, {"target": args.target})
    codes = list(ALL_RULES)
    selection = Selection(
        parse_selectors(args.select, codes) or parse_selectors(config.select, codes),
        parse_selectors(args.ignore, codes) + parse_selectors(config.ignore, codes),
    )
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (all cores) or more")
    run_status().phase("discovery")
    files = leave_out(discover(args.paths, config), args.exclude, config.root)
    if refuse_dirty:
        refuse_uncommitted(file.path for file in files)
    config = with_project_sources(config, files, selection, use_cache=not args.no_cache)
    options = Options(config, selection, config.target, args.jobs, not args.no_cache,
                      not getattr(args, "no_prefilter", False))
    return options, files


def _migrate(args, options: Options, files, console: Console) -> int:
    writes = not (args.diff or args.check)
    if args.verify is not None:
        return _verify(args, console)
    if args.commit:
        raise UsageError("--commit goes with --verify (one commit per batch that passes CMD)")
    if args.batch is not None:
        migrations, verdict = batch_migrations(args, lambda: _prepare(args))
    else:
        migrations, verdict = sound_migrations(files, options, args.with_dependents)
    if not verdict.sound:
        run_status().stop()
        _refuse(verdict, Console(stderr=True, highlight=False, soft_wrap=True))
        return EXIT_ERROR
    changed = [m for m in migrations if m.updated is not None]
    failed = [m for m in migrations if m.error]
    if writes:
        if not args.allow_dirty:
            # Only now are the files to rewrite known: untracked ones matter only among them (and
            # --with-dependents may have brought in files the first check did not see).
            refuse_unsafe_rewrites(Path(m.path) for m in changed)
        # In every folder of the run: a run killed after its renames left only the originals' links behind.
        remove_stale_temps({folder for file in files
                            for folder in (file.path.parent, Path(os.path.realpath(file.path)).parent)})
        run_status().phase("writing")
        write_all([(Path(m.path), m.updated) for m in changed], [m.original for m in changed])
    run_status().stop()
    if args.diff:
        for migration in changed:
            encoding = cst.parse_module(migration.original).encoding
            sys.stdout.buffer.write(unified_diff(_rewritten_name(migration.path), migration.original,
                                                 migration.updated, encoding))
    sys.stdout.flush()
    summary = Console(stderr=args.diff, highlight=False, soft_wrap=True)
    _migrate_summary(migrations, changed, failed, args, summary)
    _dependency_summary(needed_packages(options.config.root, [m.updated for m in changed],
                                        [file.path for file in files]), writes, summary)
    if failed:
        return EXIT_ERROR
    # One rule for every mode: 1 while work remains, files still to rewrite or sites left for manual work.
    pending = (changed and not writes) or any(m.left for m in migrations)
    return EXIT_PENDING if pending else EXIT_CLEAN


def _rewritten_name(display: str) -> str:
    """The file that a rewrite of `display` changes, as a diff names it: a symlink's target (named like
    `display`, from the current folder or in full), since that is what is written and `git apply` will not
    patch a link."""
    if not os.path.islink(display):
        return display
    target = os.path.realpath(display)
    return Path(target if os.path.isabs(display) else os.path.relpath(target)).as_posix()


def _verify(args, console: Console) -> int:
    if args.diff or args.check or args.batch is not None:
        raise UsageError("--verify applies every batch in turn: it goes with neither --diff, --check nor --batch")
    # Uncommitted changes were refused before the first batch; from then on the kept batches are changes of
    # the run's own, and only files git does not track are refused, batch by batch.
    refuse = (lambda paths: None) if args.allow_dirty else refuse_untracked
    verification = Verification(args.verify, lambda: _prepare(args), args.by, args.max_lines, args.commit,
                                lambda line: console.print(line, markup=False), refuse)
    verification.run()
    run_status().stop()
    print_verification(verification, console)
    sites_left = any(m.left for kept in verification.kept for m in kept.migrations)
    return EXIT_PENDING if verification.left or sites_left else EXIT_CLEAN


def _refuse(verdict, errors: Console) -> None:
    errors.print(f"sqlasync: error: refusing to migrate: the result would break {len(verdict.broken)} use(s); "
                 "nothing was written", markup=False)
    by_file: dict[str, list] = {}
    for violation in verdict.broken:
        by_file.setdefault(violation.needs, []).append(violation)
    for needs, violations in sorted(by_file.items()):
        where = "must come along" if needs in verdict.come_along else "is part of this run"
        errors.print(f"  {needs} {where} ({len(violations)} use(s)):", markup=False)
        for violation in violations[:REFUSAL_EXAMPLES]:
            errors.print(f"    {violation.describe()}", markup=False)
        if len(violations) > REFUSAL_EXAMPLES:
            errors.print(f"    ... and {len(violations) - REFUSAL_EXAMPLES} more", markup=False)
    if verdict.come_along:
        errors.print(f"name the {len(verdict.come_along)} file(s) that must come along too, or pass --with-dependents",
                     markup=False)
    if verdict.kept_sync:
        errors.print(f"{len(verdict.held_back)} of these are in functions that must stay sync while the session or "
                     "functions they use become async; change the cause by hand, then migrate again:", markup=False)
        for function, reason in verdict.kept_sync:
            errors.print(f"  {function} stays sync: {reason}", markup=False)
    if verdict.own_defects:
        errors.print(f"{len(verdict.own_defects)} of these are in files this run rewrites, which no wider run mends: "
                     "a defect of sqlasync, please report it", markup=False)


def _migrate_summary(migrations, changed, failed, args, console: Console) -> None:
    dry_run = args.diff or args.check
    verb = "would change" if dry_run else "changed"
    fixed = Counter()
    for migration in migrations:
        fixed.update(migration.fixed)
    console.print(f"{len(changed)} file(s) {verb}.", markup=False)
    for code, times in sorted(fixed.items()):
        console.print(f"  fixed {times:>5} {code} {ALL_RULES[code].summary}", markup=False)
    left = [(m, f) for m in migrations for f in m.left]
    if left:
        counts = count(f for _, f in left)
        console.print(f"{counts.findings} finding(s) left for manual work ({counts.breakdown()}):", markup=False)
        for migration, finding in sorted(left, key=lambda pair: pair[1].sort_key()):
            line, column = finding.line, finding.column
            if migration.updated is not None and dry_run:
                # Nothing was written: the position in the file as it is, not as it would become.
                line, column = on_disk_line(migration.original, migration.updated, line, column)
            console.print(f"  {finding.path}:{line}:{column}: {finding.code} {finding.reason}", markup=False)
    for migration in failed:
        console.print(f"error: {migration.error}", markup=False)


def _dependency_summary(needs, written: bool, console: Console) -> None:
    if not needs:
        return
    verb = "needs" if written else "would need"
    console.print(f"The migrated code {verb} {len(needs)} package(s) the project does not list:", markup=False)
    width = max(len(need.requirement) for need in needs)
    for need in needs:
        console.print(f"  {need.requirement:<{width}}  {need.reason}", markup=False)


def _init(path: Path, console: Console) -> int:
    module = scaffold.write_database_module(path)
    console.print(f"wrote {path}", markup=False)
    console.print(f"  set DATABASE_URL, then point migrated code at it in pyproject.toml:\n"
                  f"  [tool.sqlasync]\n"
                  f"  get-db = \"{module}:get_db\"\n"
                  f"  session-factory = \"{module}:SessionLocal\"", markup=False)
    return EXIT_CLEAN


def _rules(args, console: Console) -> int:
    rules = sorted(ALL_RULES.values(), key=lambda r: r.code)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps([
            {"code": r.code, "name": r.name, "family": r.family, "fixable": r.fixable, "summary": r.summary}
            for r in rules
        ], indent=2) + "\n")
        return EXIT_CLEAN
    if args.format == "markdown":
        sys.stdout.write(rules_reference(rules))
        return EXIT_CLEAN
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("code", "name", "family", "fixable", "summary"):
        table.add_column(column)
    for rule in rules:
        table.add_row(rule.code, rule.name, rule.family, "yes" if rule.fixable else "no", rule.summary)
    console.print(table)
    return EXIT_CLEAN


def _explain(code: str, console: Console) -> int:
    rule = ALL_RULES.get(code.upper())
    if rule is None:
        raise UsageError(f"unknown rule {code!r} (see `sqlasync rules`)")
    text = rule_markdown(rule)
    sys.stdout.write(text)
    return EXIT_CLEAN
