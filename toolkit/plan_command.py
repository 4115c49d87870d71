"""The command line of planning: `sqlasync plan` and `sqlasync migrate --batch K`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .analysis import Migration
from .closure import sound_migrations
from .config import load_config
from .live_status import current as run_status
from .plan import (
    DEFAULT_MAX_LINES,
    Batch,
    Plan,
    Prepare,
    make_plan,
    next_batch,
    scratch_copy,
)
from .plan_order import UNIT_KINDS
from .soundness import Verdict

PLAN_HELP = ("the whole migration as ordered batches: each one a cut that leaves a working program when the "
             "batches before it are applied (the compat bridge runs what is not migrated yet), in import order "
             "(the database module first, then what uses it; tests with the code they test), each within "
             "--max-lines of diff where its cut allows")


class NoSuchBatch(Exception):
    pass


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """What sizes a batch, under `plan` and `migrate` alike: the same settings give the same plan."""
    parser.add_argument("--max-lines", type=int, default=DEFAULT_MAX_LINES, metavar="N",
                        help=f"lines of diff a batch grows to at most (default {DEFAULT_MAX_LINES}); a batch "
                             "whose first cut alone is larger stays one batch")
    parser.add_argument("--by", choices=UNIT_KINDS, default="file",
                        help="what a batch is made of: files (default) or whole folders")


def add_plan_command(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser("plan", help="split the migration into reviewable batches that keep the "
                                 "program working", description=PLAN_HELP)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_batch_arguments(parser)
    return parser


def run_plan_command(args: argparse.Namespace, prepare: Prepare, console: Console) -> int:
    _check_limits(args)
    with _on_scratch_copy(args):
        plan = make_plan(prepare, args.by, args.max_lines)
    run_status().stop()
    if args.format == "json":
        sys.stdout.write(json.dumps(plan_json(plan, args), indent=2) + "\n")
    else:
        print_plan(plan, args.max_lines, console)
    return 1 if plan.batches or plan.blocked else 0


def batch_migrations(args: argparse.Namespace, prepare: Prepare) -> tuple[list[Migration], Verdict]:
    """`migrate --batch K`: the migrations of batch K of the plan of the tree as it is. Batch 1 is worked
    out here; a later one on a scratch copy with the batches before it applied, then migrated here (a
    tree without those batches refuses it like any cut that would break a use)."""
    _check_limits(args)
    if args.batch < 1:
        raise NoSuchBatch("--batch counts from 1")
    if args.batch == 1:
        options, files = prepare()
        batch, _ = next_batch(files, options, args.by, args.max_lines)
        if batch is None:
            return [], Verdict((), frozenset())  # the campaign is over: nothing changes, exit 0
        return list(batch.migrations), Verdict((), batch.run_files)
    with _on_scratch_copy(args):
        plan = make_plan(prepare, args.by, args.max_lines, batches=args.batch)
    if len(plan.batches) < args.batch:
        raise NoSuchBatch(f"the plan has {len(plan.batches)} batch(es), no batch {args.batch}")
    wanted = plan.batches[args.batch - 1].run_files
    options, files = prepare()
    return sound_migrations([f for f in files if f.display in wanted], options, with_dependents=False)


def _check_limits(args: argparse.Namespace) -> None:
    if args.max_lines < 1:
        raise NoSuchBatch("--max-lines must be 1 or more")


def _on_scratch_copy(args: argparse.Namespace):
    """Work on a scratch copy of the project, sharing its cache folder; the paths named keep their meaning there."""
    config = load_config(args.paths, {"target": args.target})
    here = Path.cwd()
    args.paths = [Path(os.path.relpath(p, here)) if p.is_absolute() else p for p in args.paths]
    return scratch_copy(config.root, None if args.no_cache else config.root / config.cache_dir)


def families(fixed: Counter[str]) -> Counter[str]:
    by_family: Counter[str] = Counter()
    for code, times in fixed.items():
        by_family[code[0]] += times
    return by_family


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "-"


def print_plan(plan: Plan, max_lines: int, console: Console) -> None:
    if not plan.batches and not plan.blocked:
        console.print("Nothing to migrate.", markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("batch", "files", "sites", "diff lines", "bridges", "left"):
        table.add_column(column, justify="right" if column in ("batch", "diff lines", "left") else "left")
    for number, batch in enumerate(plan.batches, 1):
        lines = str(batch.diff_lines) + (" (cut)" if batch.diff_lines > max_lines else "")
        table.add_row(str(number), "\n".join(batch.files), _counts(families(batch.fixed)), lines,
                      _counts(batch.bridges), str(len(batch.left)))
    console.print(table)
    total = sum(b.diff_lines for b in plan.batches)
    console.print(f"{len(plan.batches)} batch(es), {total} diff line(s); sites by rule family (Q, S, D, E, R, F); "
                  "\"(cut)\": the smallest sound cut is larger than --max-lines; apply them in order with "
                  "`sqlasync migrate --batch 1`, or run them against your tests with `--verify CMD`.", markup=False)
    for blocked in plan.blocked:
        console.print(f"not planned: {blocked.unit}: {blocked.reason}", markup=False)


def plan_json(plan: Plan, args: argparse.Namespace) -> dict:
    return {
        "max_lines": args.max_lines,
        "by": args.by,
        "batches": [batch_json(number, batch) for number, batch in enumerate(plan.batches, 1)],
        "not_planned": [{"unit": b.unit, "reason": b.reason} for b in plan.blocked],
    }


def batch_json(number: int, batch: Batch) -> dict:
    return {
        "batch": number,
        "units": [unit.name for unit in batch.units],
        "files": batch.files,
        "sites": dict(sorted(families(batch.fixed).items())),
        "rules": dict(sorted(batch.fixed.items())),
        "diff_lines": batch.diff_lines,
        "bridges": dict(sorted(batch.bridges.items())),
        "left": [{"path": f.path, "line": f.line, "column": f.column, "code": f.code, "reason": f.reason}
                 for f in batch.left],
    }
