"""`sqlasync plan`: the whole migration as ordered batches, each one a cut that leaves a working program.

A batch starts with the first unit (plan_order.py) whose cut, with the files that must come along
(toolkit/closure.py), is sound, and takes the next units in order while the diff stays within the
review limit (as many at once as the figures of the whole migration suggest, fewer when the real
rewrite is larger). Its figures are those of the real rewrite, computed in memory. The plan of a tree is
defined one batch at a time: batch 1 of the tree, then the plan of the tree with batch 1 applied. So a
plan computed again after batch 1 is the old plan from batch 2 on, and `migrate --batch 1` after
`migrate --batch 1` walks the plan. Later batches are worked out on a scratch copy of the project.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .analysis import Migration
from .closure import sound_migrations
from .diffs import changed_lines
from .discovery import SourceFile
from .findings import Finding
from .plan_order import Unit, file_dependencies, ordered, units_of
from .runner import Options, migrate_files, read_sources, with_coloring
from .writing import write_all

DEFAULT_MAX_LINES = 200
# What migrated code writes to reach code that is not migrated yet (or sync entries to reach async code).
BRIDGES = ("call_legacy", "run_from_sync")
_NOT_COPIED = shutil.ignore_patterns(".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                                     ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache")

Prepare = Callable[[], tuple[Options, list[SourceFile]]]


@dataclass(frozen=True)
class Batch:
    """One reviewable step: the units that make it, and the rewrite of every file it changes."""

    units: tuple[Unit, ...]
    migrations: tuple[Migration, ...]        # each file it rewrites
    run_files: frozenset[str]                # every file of its cut, also those left unchanged

    @property
    def files(self) -> list[str]:
        return [m.path for m in self.migrations]

    @property
    def diff_lines(self) -> int:
        return sum(changed_lines(m.original, m.updated) for m in self.migrations)

    @property
    def fixed(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for migration in self.migrations:
            counts.update(migration.fixed)
        return counts

    @property
    def left(self) -> list[Finding]:
        return sorted((f for m in self.migrations for f in m.left), key=Finding.sort_key)

    @property
    def bridges(self) -> Counter[str]:
        """The compat bridges the batch writes, by kind."""
        written: Counter[str] = Counter()
        for migration in self.migrations:
            for bridge in BRIDGES:
                added = migration.updated.count(f"{bridge}(".encode()) - migration.original.count(f"{bridge}(".encode())
                if added > 0:
                    written[bridge] += added
        return written


@dataclass(frozen=True)
class Blocked:
    """A unit with work left that no sound batch could take, and why."""

    unit: str
    reason: str


@dataclass
class Plan:
    batches: list[Batch] = field(default_factory=list)
    # Units left when no batch could be made any more.
    blocked: list[Blocked] = field(default_factory=list)


def next_batch(files: list[SourceFile], options: Options, by: str, max_lines: int,
               held: Iterable[str] = ()) -> tuple[Batch | None, list[Blocked]]:
    """Batch 1 of the plan of the tree as it is; files in `held` stay as they are (no batch takes them).
    Also the units tried before it that could not start a batch."""
    held = frozenset(held)
    files = [file for file in files if file.display not in held]
    whole = [m for m in migrate_files(files, with_coloring(files, options))
             if m.updated is not None and m.path not in held]
    if not whole:
        return None, []
    # What each file's rewrite costs in the migration of everything: the guide for how many units to try.
    estimate = {m.path: changed_lines(m.original, m.updated) for m in whole}
    by_display = {file.display: file for file in files}
    paths = {m.path: by_display[m.path].path for m in whole}
    sources = read_sources(by_display[m.path] for m in whole)
    units = ordered(units_of(list(paths), by), file_dependencies(paths, sources, options.config.root))
    blocked: list[Blocked] = []
    for index, unit in enumerate(units):
        batch, why = _attempt([unit], by_display, options, held)
        if why is None:
            return _grown(batch, units[index + 1:], estimate, max_lines, by_display, options, held), blocked
        blocked.append(Blocked(unit.name, why))
    if len(units) > 1:
        # No unit changes anything on its own (each one's functions wait for callers in another): together they may.
        batch, why = _attempt(units, by_display, options, held)
        if why is None:
            return batch, []
    return None, blocked


def _grown(batch: Batch, rest: list[Unit], estimate: dict[str, int], max_lines: int,
           by_display: dict[str, SourceFile], options: Options, held: frozenset[str]) -> Batch:
    """`batch` with the next units in order while its real diff stays within `max_lines`. As many as the
    figures of the whole migration let fit are tried at once, half as many when the real diff is larger
    (or the cut unsound); no unit jumps the queue."""
    while True:
        waiting = [unit for unit in rest if not set(unit.files) <= batch.run_files]
        room = max_lines - batch.diff_lines
        take: list[Unit] = []
        for unit in waiting:
            cost = sum(estimate.get(file, 0) for file in unit.files)
            if cost > room:
                break
            take.append(unit)
            room -= cost
        grown = None
        while take:
            grown, why = _attempt([*batch.units, *take], by_display, options, held)
            if why is None and grown.diff_lines <= max_lines:
                break
            take = take[:len(take) // 2]
        if not take or grown is None or (set(grown.files) == set(batch.files)
                                         and grown.diff_lines == batch.diff_lines):
            return batch
        batch, rest = grown, waiting[len(take):]


def _attempt(units: list[Unit], by_display: dict[str, SourceFile], options: Options,
             held: frozenset[str]) -> tuple[Batch | None, str | None]:
    """The batch made of `units` and what must come along, or why there is none."""
    files = sorted({by_display[f] for unit in units for f in unit.files}, key=lambda f: f.display)
    migrations, verdict = sound_migrations(files, options, with_dependents=True, held=held)
    if not verdict.sound:
        needed = sorted(held & set(verdict.come_along))
        if needed:
            return None, f"needs {', '.join(needed)}, which stays as it is"
        first = verdict.broken[0]
        return None, f"would break {len(verdict.broken)} use(s), e.g. {first.describe()}"
    if any(m.error for m in migrations):
        return None, next(m.error for m in migrations if m.error)
    if not any(m.updated is not None for m in migrations):
        return None, "nothing to rewrite on its own"
    touched = tuple(m for m in migrations if m.updated is not None)
    return Batch(tuple(units), touched, verdict.run_files), None


def apply(batch: Batch) -> None:
    write_all([(Path(m.path), m.updated) for m in batch.migrations])


def make_plan(prepare: Prepare, by: str, max_lines: int, batches: int | None = None) -> Plan:
    """The plan of the tree under the current folder, which it rewrites batch by batch: call it on a
    scratch copy (`scratch_copy`). `batches` stops it after that many."""
    plan = Plan()
    # Each batch rewrites at least one file; a file rewritten in two batches is rare: this bounds a
    # plan that would otherwise go round in circles.
    limit = None
    while batches is None or len(plan.batches) < batches:
        options, files = prepare()
        limit = limit if limit is not None else 2 * len(files) + 1
        batch, blocked = next_batch(files, options, by, max_lines)
        plan.blocked = blocked
        if batch is None or len(plan.batches) >= limit:
            break
        apply(batch)
        plan.batches.append(batch)
    return plan


@contextmanager
def scratch_copy(root: Path, cache_folder: Path | None = None) -> Iterator[Path]:
    """A copy of the project under `root` (no VCS folders, environments or caches of other tools), with the
    current folder moved to the same place in it, so that every path reads as in the original.

    `cache_folder`, when inside `root`, is not copied but linked: what the scratch runs work out (summaries,
    rewrites) is keyed by content and stays for the runs on the project itself (`migrate --batch 1` after
    `plan` rewrites what the plan rewrote in memory)."""
    root = Path(os.path.abspath(root))
    here = Path(os.path.abspath(Path.cwd()))
    base = Path(os.path.commonpath([root, here]))
    linked = _linkable(root, cache_folder)
    with tempfile.TemporaryDirectory(prefix="sqlasync-plan-") as scratch:
        copy_root = Path(scratch) / root.relative_to(base)
        ignore = _also_ignoring_unreadable(_NOT_COPIED if linked is None else _also_ignoring(_NOT_COPIED, linked))
        shutil.copytree(root, copy_root, symlinks=True, ignore=ignore, copy_function=_copy_readable,
                        dirs_exist_ok=True)
        _keep_writes_inside(copy_root, root, Path(scratch) / ".outside")
        if linked is not None:
            _link_cache(linked, copy_root / linked.relative_to(root))
        copy_here = Path(scratch) / here.relative_to(base)
        copy_here.mkdir(parents=True, exist_ok=True)
        os.chdir(copy_here)
        try:
            yield copy_root
        finally:
            os.chdir(here)


def _also_ignoring_unreadable(ignore: Callable[[str, list[str]], set[str]]):
    """`ignore`, and the folders that cannot be listed: what no run can read (a P002 finding) stays out of
    the copy rather than stopping it."""
    def ignored(directory: str, names: list[str]) -> set[str]:
        skipped = set(ignore(directory, names))
        for name in names:
            path = os.path.join(directory, name)
            if name in skipped or os.path.islink(path) or not os.path.isdir(path):
                continue
            try:
                os.scandir(path).close()
            except OSError:
                skipped.add(name)
        return skipped
    return ignored


def _copy_readable(source: str, destination: str) -> None:
    """copy2 for a regular file this process may read; nothing for the others (a named pipe would block a
    copy, a device never end one): no run reads them either, they are P002 findings."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
    if regular:
        shutil.copy2(source, destination)


def _keep_writes_inside(copy_root: Path, root: Path, outside: Path) -> None:
    """Make the copy the only thing the plan's rewrites can reach. A symlink of the copy that leads out of
    it (an absolute link, or one that climbs out of the project) would carry a rewrite to the project
    itself or beyond: it is pointed at the copy's counterpart of its target, or, for a file outside the
    project, at a copy of that file made once under `outside`. And the copy is writable, whatever the
    project's own permissions (copytree keeps them)."""
    copy_real, root_real = os.path.realpath(copy_root), os.path.realpath(root)
    copied: dict[str, str] = {}
    for folder, dirnames, filenames in os.walk(copy_root):
        _writable(folder)
        for name in (*dirnames, *filenames):
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                if name in filenames:
                    _writable(path)
                continue
            # Where the link leads from its place in the project (a relative one that climbs out of the
            # copy leads nowhere, or somewhere else, from the copy).
            target = os.path.realpath(os.path.join(root, os.path.relpath(path, copy_root)))
            if _within(target, root_real):
                replacement = os.path.join(copy_real, os.path.relpath(target, root_real))
                if os.path.realpath(path) == replacement:
                    continue
            elif os.path.isfile(target):
                if target not in copied:
                    kept = outside / str(len(copied)) / os.path.basename(target)
                    kept.parent.mkdir(parents=True)
                    shutil.copyfile(target, kept)
                    copied[target] = str(kept)
                replacement = copied[target]
            else:
                continue  # a folder outside the project (never walked for files to rewrite), or a broken link
            os.unlink(path)
            os.symlink(replacement, path)


def _writable(path: str) -> None:
    mode = os.stat(path).st_mode
    if not mode & stat.S_IWUSR:
        os.chmod(path, mode | stat.S_IWUSR)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _linkable(root: Path, cache_folder: Path | None) -> Path | None:
    """The cache folder as an absolute path when it lies inside `root` (one outside is shared as it is)."""
    if cache_folder is None:
        return None
    folder = Path(os.path.abspath(root / cache_folder))
    return folder if folder != root and folder.is_relative_to(root) else None


def _also_ignoring(ignore: Callable[[str, list[str]], set[str]], folder: Path):
    def ignored(directory: str, names: list[str]) -> set[str]:
        skipped = set(ignore(directory, names))
        if Path(os.path.abspath(directory)) == folder.parent and folder.name in names:
            skipped.add(folder.name)
        return skipped
    return ignored


def _link_cache(original: Path, link: Path) -> None:
    """`link` points at `original` (created if need be); where no link can be made, the copy starts without one."""
    try:
        original.mkdir(parents=True, exist_ok=True)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(original, target_is_directory=True)
    except OSError:
        pass  # no symlinks here (or a read-only project): the scratch runs keep their own cache
