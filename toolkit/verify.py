"""`sqlasync migrate --verify CMD`: the plan applied batch by batch, each kept only while CMD (the project's
own tests) passes.

When CMD fails after a batch, the batch's files are bisected to the smallest set whose rewrite breaks it:
those are put back byte for byte and stay legacy for the rest of the run ("left: breaks `CMD`", with the
failing tests CMD named), the rest of the batch is kept if it is still a sound cut, and the next batch
is planned without them. A stop signal puts back the batch under way: the tree is left at the last kept
batch (with `--commit`, one git commit each).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from .analysis import Migration
from .closure import sound_migrations
from .discovery import SourceFile
from .findings import Finding
from .live_status import current as run_status
from .plan import Batch, Prepare, next_batch
from .soundness import judge
from .writing import put_back, write_all

# pytest's short summary: `FAILED tests/test_x.py::test_y - AssertionError` (and ERROR for a broken fixture).
_PYTEST_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+::\S+)", re.MULTILINE)
# A commit message lists this many sites left for manual work (and counts the rest).
SITES_IN_MESSAGE = 20
# A commit's subject names CMD only while it fits in this many characters (`git log --oneline`); the body
# always names it whole.
SUBJECT_WIDTH = 72
# How long CMD has to end after the stop signal is passed on to it, before it is killed.
STOP_GRACE_SECONDS = 5.0


class VerifyError(Exception):
    pass


@dataclass(frozen=True)
class CommandRun:
    passed: bool
    seconds: float
    failing_tests: tuple[str, ...]


@dataclass(frozen=True)
class LeftFile:
    path: str
    failing_tests: tuple[str, ...]


@dataclass
class KeptBatch:
    number: int
    migrations: list[Migration]
    left: list[LeftFile] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def files(self) -> list[str]:
        return [m.path for m in self.migrations if m.updated is not None]


def run_command(command: str) -> CommandRun:
    """Run CMD through the shell in its own process group; a stop signal here is passed on to the whole
    group (CMD's children too: a test runner's workers), which is killed if it does not end in time."""
    started = time.monotonic()
    process = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        output, _ = process.communicate()
    except BaseException:
        _stop_group(process)
        raise
    text = output.decode("utf-8", "replace")
    return CommandRun(process.returncode == 0, time.monotonic() - started,
                      tuple(dict.fromkeys(_PYTEST_FAILED.findall(text))))


def _stop_group(process: subprocess.Popen) -> None:
    for signum, wait in ((signal.SIGINT, STOP_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class Verification:
    """One `--verify` run: the batches kept, the files left, and what it printed on the way."""

    def __init__(self, command: str, prepare: Prepare, by: str, max_lines: int, commit: bool,
                 say: Callable[[str], None], before_writing: Callable[[list[Path]], None]) -> None:
        self.command, self.prepare, self.by, self.max_lines, self.commit = command, prepare, by, max_lines, commit
        self.say = say
        # Raises to refuse a batch's files (git_state): the batches kept before it stay.
        self.before_writing = before_writing
        self.kept: list[KeptBatch] = []
        self.left: list[LeftFile] = []

    def run(self) -> None:
        run_status().phase("CMD on the tree as it is")
        start = run_command(self.command)
        if not start.passed:
            raise VerifyError(f"`{self.command}` fails before anything is migrated"
                              + _named(start.failing_tests) + "; it must pass first")
        self.say(f"`{self.command}` passes as the tree is ({start.seconds:.1f} s)")
        number = 0
        while True:
            number += 1
            run_status().phase(f"batch {number}: planning")
            options, files = self.prepare()
            if number > 2 * len(files) + 1:
                # Each batch rewrites or holds back at least one file: more batches than that go round in circles.
                raise VerifyError(f"stopped after {number - 1} batches: the plan does not come to an end")
            batch, _ = next_batch(files, options, self.by, self.max_lines, {f.path for f in self.left})
            if batch is None:
                return
            kept = self._verify(number, batch, files)
            if kept is None:
                continue
            self.kept.append(kept)
            if self.commit:
                commit_batch(kept, self.command)

    def _verify(self, number: int, batch: Batch, files: list[SourceFile]) -> KeptBatch | None:
        originals = [(Path(m.path), m.original) for m in batch.migrations]
        # Refused before the try: nothing of the batch is written, so there is nothing to put back.
        self.before_writing([path for path, _ in originals])
        try:
            run_status().phase(f"batch {number}: {self.command}")
            write_all([(Path(m.path), m.updated) for m in batch.migrations])
            outcome = run_command(self.command)
            if outcome.passed:
                self.say(f"batch {number}: {len(batch.files)} file(s) migrated{_named(batch.files)}, "
                         f"`{self.command}` passes ({outcome.seconds:.1f} s)")
                return KeptBatch(number, list(batch.migrations), seconds=outcome.seconds)
            self.say(f"batch {number}: `{self.command}` fails{_named(outcome.failing_tests)}; "
                     f"bisecting its {len(batch.files)} file(s)")
            return self._bisect(number, batch, files, originals, outcome)
        except BaseException:
            # Stopped (or failed) half-way through a batch: the tree goes back to the last kept batch.
            put_back(originals)
            raise

    def _bisect(self, number: int, batch: Batch, files: list[SourceFile],
                originals: list[tuple[Path, bytes]], failure: CommandRun) -> KeptBatch | None:
        trials: dict[frozenset[str], tuple[list[Migration], CommandRun] | None] = {
            frozenset(): (list(batch.migrations), failure)}
        held_before = {f.path for f in self.left}
        by_display = {file.display: file for file in files}

        def passes(held: frozenset[str]) -> bool:
            if held not in trials:
                run_status().phase(f"batch {number}: bisect")
                put_back(originals)
                migrations = self._without(batch, held, held_before, by_display)
                if migrations is None:
                    trials[held] = None
                else:
                    self._write(migrations)
                    trials[held] = (migrations, run_command(self.command))
            trial = trials[held]
            return trial is not None and trial[1].passed

        culprits = fewest_to_hold_back(batch.files, passes)
        if not passes(frozenset(culprits)):
            # Holding files back is not monotonic (a cut may be sound only with a file): hold the whole batch.
            culprits = batch.files
        migrations, outcome = trials.get(frozenset(culprits)) or ([], failure)
        put_back(originals)
        self._write(migrations)
        failing = trials[frozenset()][1].failing_tests
        left = [LeftFile(path, failing) for path in culprits]
        self.left.extend(left)
        for item in left:
            self.say(f"  left: {item.path} breaks `{self.command}`{_named(item.failing_tests)}")
        if not any(m.updated is not None for m in migrations):
            return None
        kept = KeptBatch(number, migrations, left, outcome.seconds)
        self.say(f"batch {number}: {len(kept.files)} file(s) migrated{_named(kept.files)}, `{self.command}` "
                 f"passes ({outcome.seconds:.1f} s)")
        return kept

    def _write(self, migrations: Sequence[Migration]) -> None:
        changes = [(Path(m.path), m.updated) for m in migrations if m.updated is not None]
        self.before_writing([path for path, _ in changes])
        write_all(changes)

    def _without(self, batch: Batch, held: frozenset[str], held_before: set[str],
                 by_display: dict[str, SourceFile]) -> list[Migration] | None:
        """The batch's rewrite without the files in `held`, if that is a sound cut: the batch's own
        output for the rest when it is, else the rest migrated again with those files staying legacy."""
        if not held:
            return list(batch.migrations)
        rest = [by_display[path] for path in sorted(batch.run_files - held) if path in by_display]
        kept = [m for m in batch.migrations if m.path not in held]
        options, _ = self.prepare()
        if judge(rest, kept, options).sound:
            return kept
        migrations, verdict = sound_migrations(rest, options, with_dependents=False, held=held | held_before)
        return [m for m in migrations if m.updated is not None] if verdict.sound else None


def fewest_to_hold_back(candidates: Sequence[str], passes: Callable[[frozenset[str]], bool]) -> list[str]:
    """A smallest set of `candidates` whose holding back makes `passes` true, given that holding all of
    them back does and holding none does not (halving, as delta debugging does: a single culprit among n
    files costs about 2·log2(n) calls)."""

    def smallest(among: list[str], base: frozenset[str]) -> list[str]:
        if passes(base):
            return []
        if len(among) == 1:
            return among
        half = len(among) // 2
        first, second = among[:half], among[half:]
        if passes(base | set(first)):
            return smallest(first, base)
        if passes(base | set(second)):
            return smallest(second, base)
        from_first = smallest(first, base | set(second))
        return from_first + smallest(second, base | set(from_first))

    return smallest(list(candidates), frozenset())


def _named(items: Sequence[str]) -> str:
    """` (a, b, c and 4 more)`, or nothing for no items."""
    if not items:
        return ""
    shown = ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
    return f" ({shown})"


def commit_message(kept: KeptBatch, command: str) -> str:
    fixed: Counter[str] = Counter()
    for migration in kept.migrations:
        fixed.update(migration.fixed)
    sites_left: list[Finding] = sorted((f for m in kept.migrations for f in m.left), key=Finding.sort_key)
    head = f"sqlasync: migrate batch {kept.number} ({len(kept.files)} file(s)), "
    named = f"`{command}`" if len(head) + len(command) + len("`` passes") <= SUBJECT_WIDTH else "the test command"
    lines = [f"{head}{named} passes", "", f"Checked with: `{command}`", "", "Rules applied:"]
    lines += [f"  {code} x{times}" for code, times in sorted(fixed.items())] or ["  (none)"]
    lines += ["", f"Sites left for manual work: {len(sites_left)}"]
    lines += [f"  {f.path}:{f.line}:{f.column}: {f.code} {f.reason}" for f in sites_left[:SITES_IN_MESSAGE]]
    if len(sites_left) > SITES_IN_MESSAGE:
        lines.append(f"  ... and {len(sites_left) - SITES_IN_MESSAGE} more (`sqlasync check` lists them)")
    if kept.left:
        lines += ["", f"Left: breaks {named}:"]
        lines += [f"  {item.path}{_named(item.failing_tests)}" for item in kept.left]
    return "\n".join(lines) + "\n"


def commit_batch(kept: KeptBatch, command: str) -> None:
    """One git commit holding the batch's files and nothing else the user had staged."""
    message = commit_message(kept, command)
    for step in (["git", "add", "--", *kept.files], ["git", "commit", "-q", "-m", message, "--", *kept.files]):
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise VerifyError(f"batch {kept.number} is applied but `{' '.join(step[:2])}` failed: "
                              f"{result.stderr.strip() or result.stdout.strip()}")


def print_verification(verification: Verification, console: Console) -> None:
    files = sorted({path for kept in verification.kept for path in kept.files})
    console.print(f"{len(verification.kept)} batch(es) kept, {len(files)} file(s) migrated; "
                  f"{len(verification.left)} left because they break `{verification.command}`.", markup=False)
    for item in verification.left:
        console.print(f"  left: {item.path} breaks `{verification.command}`{_named(item.failing_tests)}",
                      markup=False)
