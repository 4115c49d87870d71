"""Runs `check` and `migrate` over many files: prefilter, cache, and every core."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import partial

from sqlasync.codemods.core import progress
from sqlasync.prediction import COLORING_PREFIX, build_coloring, coloring_active, summarise
from sqlasync.codemods.coloring.solution import Coloring
from sqlasync.codemods.index.repo_index import FileSummary, ModuleLocation, locate_module
from sqlasync.codemods.index.repo_scope import ImportCache, expand, source_roots
from sqlasync.codemods.index.summary_cache import SummaryCache, cached_summaries
from sqlasync.codemods.core.family import Family
from sqlasync.codemods.registry import FAMILIES

from . import __version__
from .analysis import FileResult, Migration, RewriteError, analyse, migrate
from .passes import problem
from .cache import ResultCache, keep_out_of_version_control
from .config import Config
from .discovery import SourceFile, discover
from .findings import Finding
from .interrupts import worker_leaves_stopping_to_parent
from .live_status import current as run_status
from .migration_cache import MigrationCache, settings_digest, sources_digest
from .prefilter import Prefilter
from .problems import INTERNAL_ERROR, UNREADABLE, describe_bug
from .selection import Selection
from .source import read_source

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16


@dataclass(frozen=True)
class Options:
    config: Config
    selection: Selection
    target: str
    jobs: int = 0
    use_cache: bool = True
    use_prefilter: bool = True
    # None means every registered family; tests pass their own (run in-process: lambdas do not pickle).
    families: Sequence[Family] | None = None
    # The repository-wide async coloring (family F), built by check/migrate over the whole project.
    coloring: Coloring | None = None
    # Digest of every file that coloring was solved over (path and content): what a rewrite may read of other files.
    project_digest: str | None = None

    @property
    def active_families(self) -> Sequence[Family]:
        return FAMILIES if self.families is None else self.families

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


@dataclass
class CheckOutcome:
    results: list[FileResult]
    files_scanned: int

    @property
    def findings(self) -> list[Finding]:
        return sorted((f for r in self.results for f in r.findings), key=Finding.sort_key)


def _read(file: SourceFile) -> bytes | Finding:
    if file.unreadable is not None:
        # A folder that cannot be listed: none of its files was checked.
        what = "folder" if os.path.isdir(file.path) else "file"
        return problem(UNREADABLE.code, file.display, file.unreadable, 1, 1, what=what)
    try:
        return read_source(file.path)
    except OSError as exc:
        return problem(UNREADABLE.code, file.display, f"cannot read: {exc.strerror or exc}", 1, 1)


def check(files: list[SourceFile], options: Options) -> CheckOutcome:
    options = with_coloring(files, options)
    salt = options.config.fingerprint() + options.target + (options.coloring.digest() if options.coloring else "")
    cache = ResultCache(options.config.root / options.config.cache_dir, salt)
    # Files holding only migrated code must be parsed too: they are half of the progress numbers.
    prefilter = Prefilter(options.config, options.active_families, progress.triggers(options.config))
    results: dict[str, FileResult] = {}
    pending: list[tuple[str, bytes, str]] = []
    for file in files:
        content = _read(file)
        if isinstance(content, Finding):
            results[file.display] = FileResult(file.display, [content])
            continue
        if options.use_prefilter and not prefilter.may_match(content) and not (
                options.coloring and options.coloring.interesting(file.display, content)):
            results[file.display] = FileResult(file.display)
            continue
        key = cache.key(file.display, content)
        cached = cache.get(key) if options.use_cache else None
        if cached is not None:
            results[file.display] = cached
        else:
            pending.append((file.display, content, key))
    jobs = [(display, content) for display, content, _ in pending]
    run_status().phase("analysis", len(jobs))
    for (display, _, key), result in zip(pending, _map(_analyse_job, jobs, options, size=lambda job: len(job[1]))):
        results[display] = result
        if options.use_cache:
            cache.put(key, result)
    if options.use_cache and pending:
        keep_out_of_version_control(cache.folder)
    selected = [results[path].selected(options.selection) for path in sorted(results)]
    return CheckOutcome(selected, files_scanned=len(files))


def migrate_files(files: list[SourceFile], options: Options) -> list[Migration]:
    options = with_coloring(files, options)
    prefilter = Prefilter(options.config, options.active_families)
    jobs = []
    migrations: list[Migration] = []
    for file in files:
        content = _read(file)
        if isinstance(content, Finding):
            migrations.append(Migration(file.display, b"", left=[content]))
        elif prefilter.may_match(content) or not options.use_prefilter or (
                options.coloring and options.coloring.interesting(file.display, content)):
            jobs.append((file.display, content))
    cache = _migration_cache(files, options)
    keys = [cache.key(display, content) for display, content in jobs] if cache is not None else []
    found = [cache.get(key, *job) for key, job in zip(keys, jobs)] if cache is not None else [None] * len(jobs)
    pending = [i for i, migration in enumerate(found) if migration is None]
    run_status().phase("rewrite", len(pending))
    for i, migration in zip(pending, _map(_migrate_job, [jobs[i] for i in pending], options,
                                          size=lambda job: len(job[1]))):
        found[i] = migration
        if cache is not None:
            cache.put(keys[i], migration)
    if cache is not None:
        cache.keep_recent()
        if pending:
            keep_out_of_version_control(cache.trees.parent)
    migrations.extend(found)
    return sorted(migrations, key=lambda m: m.path)


def _migration_cache(files: list[SourceFile], options: Options) -> MigrationCache | None:
    """Where the rewrites of this run are kept, under a key of everything they depend on; None when the run
    keeps nothing (--no-cache) or cannot name all of that (no project-wide coloring, families of a test)."""
    if not options.use_cache or options.project_digest is None or options.families is not None:
        return None
    config = options.config
    return MigrationCache(config.root / config.cache_dir, options.project_digest, "\0".join((
        config.fingerprint(), options.target, repr(options.selection), *(f.name for f in options.active_families),
        options.coloring.digest(), settings_digest(config.root),
        # The cut itself: the coloring converts the files of the run, and its digest is of verdicts.
        *sorted(file.display for file in files))))


def with_coloring(files: list[SourceFile], options: Options) -> Options:
    """Options carrying the run's async coloring, solved over the project around `files`, not `files` alone."""
    if options.coloring is not None:
        return options
    if not coloring_active(options.active_families, options.selection, options.target):
        return replace(options, coloring=build_coloring([], [], options.active_families, options.selection))
    project = project_files(files, options)
    # Files no other family can touch need no prediction: nothing in them will await.
    others = Prefilter(options.config, [f for f in options.active_families if f.prefix != COLORING_PREFIX])
    items = []
    for file in project.values():
        content = _read(file)
        if not isinstance(content, Finding):
            items.append((file.display, locate_module(file.path), content, others.may_match(content)))
    # The version is part of the key like in ResultCache: a newer sqlasync predicts differently.
    cache = SummaryCache(options.config.root / options.config.cache_dir, "\0".join(
        (__version__, options.config.fingerprint(), options.target, repr(options.selection),
         *(f.name for f in options.active_families)))) if options.use_cache else None
    summaries = cached_summaries(items, cache, lambda pending: _summaries(pending, options), options.config.root)
    if cache is not None and items:
        keep_out_of_version_control(options.config.root / options.config.cache_dir)
    run_status().phase("coloring")
    coloring = build_coloring(summaries, [file.display for file in files], options.active_families, options.selection)
    return replace(options, coloring=coloring, project_digest=sources_digest((item[0], item[2]) for item in items))


def project_files(files: list[SourceFile], options: Options) -> dict[str, SourceFile]:
    """The program around `files`: every file under their source roots and every file their imports reach."""
    project = {file.display: file for file in files}
    for root in source_roots(file.path for file in files):
        project.update({file.display: file for file in discover([root], options.config)})
    known = {file.path.absolute() for file in project.values()}
    imports = ImportCache(options.config.root / options.config.cache_dir if options.use_cache else None)
    reached = expand(known, imports.imported_modules, options.config.root)
    imports.save()
    for extra in sorted(reached - known):
        project.update({file.display: file for file in discover([extra], options.config)})
    return project


def read_sources(files: Iterable[SourceFile]) -> dict[str, bytes]:
    """The content of every readable file, by display path (unreadable ones are left out)."""
    sources = {}
    for file in files:
        content = _read(file)
        if not isinstance(content, Finding):
            sources[file.display] = content
    return sources


def _summaries(pending: list, options: Options) -> Iterable[FileSummary | None]:
    run_status().phase("index", len(pending))
    return _map(_summary_job, pending, options, size=lambda item: len(item[2]))


def _summary_job(job: tuple[tuple[str, ModuleLocation, bytes, bool], Options]) -> FileSummary | None:
    (display, location, content, predict), options = job
    try:
        return summarise(display, content, location, options.config, options.active_families, options.selection,
                         options.target, predict)
    except Exception:  # noqa: BLE001 - the file's own analysis reports the bug (P003); the index goes on without it
        return None


def _map(function, items: list, options: Options, size: Callable[[tuple], int]) -> Iterable:
    """`function((item, options))` for each item, in order; on every core when there are enough items."""
    if options.workers == 1 or len(items) < PARALLEL_THRESHOLD or options.families is not None:
        return run_status().counted(map(function, [(item, options) for item in items]))
    # The options hold the whole coloring (megabytes): each worker receives them once, not with every chunk.
    # The largest files go first, in small chunks, so that no worker is left with a big file at the end.
    order = sorted(range(len(items)), key=lambda i: size(items[i]), reverse=True)
    results: list = [None] * len(items)
    pool = ProcessPoolExecutor(max_workers=options.workers, initializer=_start_worker,
                               initargs=(options, os.getpid()))
    try:
        done = pool.map(partial(_with_worker_options, function), [items[i] for i in order],
                        chunksize=max(1, len(items) // (options.workers * 32)))
        for i, result in zip(order, done):
            results[i] = result
            run_status().advance()
    except BrokenProcessPool as exc:
        died = _died_of(pool)
        _stop_workers(pool)
        raise WorkerDied(f"a worker process died{died}; nothing was written. Run again; if memory is short, with "
                         "fewer workers (-j 1)") from exc
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()
    return results


class WorkerDied(Exception):
    """A worker process ended without a result: killed from outside (the OOM killer) or crashed."""


def _died_of(pool: ProcessPoolExecutor) -> str:
    """Why the pool broke, from its workers' exit codes: ` (killed by SIGKILL: out of memory?)`, or nothing.
    The pool ends the others with SIGTERM once one has died, so that one says nothing."""
    # The pool's manager thread reaps the dead worker while it breaks the pool; a process reaped by the other
    # thread reads as still running (exit code None) until that thread has stored the code, so wait for it.
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(timeout=5)
    codes = [process.exitcode for process in (getattr(pool, "_processes", None) or {}).values()]
    for code in codes:
        if code is not None and code < 0 and -code != signal.SIGTERM:
            name = signal.Signals(-code).name
            return f" (killed by {name}{': out of memory?' if name == 'SIGKILL' else ''})"
        if code is not None and code > 0:
            return f" (exit code {code})"
    return ""


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the workers now: leaving the pool's `with` would wait for every queued file (tens of seconds
    after Ctrl-C), and a parent ended by SIGTERM would leave them running. (Python 3.14 has
    `terminate_workers()`; before it the processes are only reachable through `_processes`.)"""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=1)
        if process.is_alive():
            process.kill()
            process.join()
    # The pool's manager thread now finds its workers gone and cleans up; it must be done before the
    # interpreter exits, whose hook would otherwise write to the wake-up pipe the thread is closing (EBADF).
    if manager is not None:
        manager.join(timeout=1)


_worker_options: Options | None = None


def _start_worker(options: Options, parent: int) -> None:
    global _worker_options
    worker_leaves_stopping_to_parent(parent)
    _worker_options = options


def _with_worker_options(function, item):
    return function((item, _worker_options))


def _analyse_job(job: tuple[tuple[str, bytes], Options]) -> FileResult:
    (display, content), options = job
    try:
        return analyse(content, display, options.config, options.active_families, options.target, options.coloring)
    except Exception as exc:  # noqa: BLE001 - a bug on one file must not hide the findings of the others
        return FileResult(display, [problem(INTERNAL_ERROR.code, display, describe_bug(exc), 1, 1)])


def _migrate_job(job: tuple[tuple[str, bytes], Options]) -> Migration:
    (display, content), options = job
    try:
        return migrate(content, display, options.config, options.active_families, options.selection, options.target,
                       options.coloring)
    except RewriteError as exc:
        return Migration(display, content, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - the file stays untouched; the run reports it and exits 2
        return Migration(display, content, error=f"{display}: {describe_bug(exc)}; file left untouched")
