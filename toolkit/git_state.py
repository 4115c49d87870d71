"""What git knows of the files a run would rewrite: whether their content as it is now is in history.

A rewrite is safe to undo only when `git checkout` can bring the old content back, so `migrate` refuses
(unless `--allow-dirty`) files with uncommitted changes and files git does not track at all, ignored ones
included: being ignored says "not in history", not "may be lost". Outside a git work tree (or without git)
nothing is known and nothing is refused. Each file is looked up in its own work tree, wherever the run
starts from; a symlink's target is asked about too, since it is the file a rewrite changes.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from .discovery import printable

# A refusal names this many files (and counts the rest): one line, however large the run.
NAMED_IN_REFUSAL = 5


class UnsafeToRewrite(Exception):
    """Files the run would rewrite whose present content git could not give back."""


def refuse_uncommitted(paths: Iterable[Path]) -> None:
    """Refuse files with uncommitted changes (staged or not): checked as soon as the run knows its files."""
    uncommitted = _in_work_trees(paths, _changed, with_links=True)
    if uncommitted:
        raise UnsafeToRewrite("refusing to rewrite files with uncommitted changes (commit them or pass "
                              f"--allow-dirty): {_named(uncommitted)}")


def refuse_unsafe_rewrites(paths: Iterable[Path]) -> None:
    """Refuse, before anything is written, the files a run would rewrite that are uncommitted or untracked."""
    paths = list(paths)
    refuse_uncommitted(paths)
    refuse_untracked(paths)


def refuse_untracked(paths: Iterable[Path]) -> None:
    """Refuse files git does not track: only those a run would rewrite matter, known after the analysis."""
    # The file written is a link's target: whether the link itself is tracked does not matter.
    untracked = _in_work_trees(paths, _untracked, with_links=False)
    if untracked:
        raise UnsafeToRewrite("refusing to rewrite files git does not track, whose content no commit holds "
                              f"(commit them or pass --allow-dirty): {_named(untracked)}")


def _named(paths: list[str]) -> str:
    shown = ", ".join(paths[:NAMED_IN_REFUSAL])
    more = len(paths) - NAMED_IN_REFUSAL
    return f"{shown} and {more} more" if more > 0 else shown


def _in_work_trees(paths: Iterable[Path], select, *, with_links: bool) -> list[str]:
    """The files among `paths` that `select(top, candidates)` picks in their work tree, named from the
    current folder. With `with_links`, a symlink is a candidate as well as its target."""
    wanted: dict[str, set[str]] = {}
    tops: dict[str, str | None] = {}
    for path in paths:
        candidates = {os.path.realpath(path)}
        if with_links:
            # The link where it is (its folder resolved, as the work tree's top is).
            candidates.add(os.path.join(os.path.realpath(path.parent), path.name))
        for candidate in candidates:
            top = _work_tree(os.path.dirname(candidate), tops)
            if top is not None:
                wanted.setdefault(top, set()).add(candidate)
    picked: set[str] = set()
    for top, candidates in wanted.items():
        picked |= select(top, candidates)
    return sorted(printable(os.path.relpath(path)) for path in picked)


def _work_tree(folder: str, known: dict[str, str | None]) -> str | None:
    """The top of the git work tree holding `folder` (where `.git` is), None outside one."""
    if folder not in known:
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")):
            known[folder] = folder
        else:
            known[folder] = None if parent == folder else _work_tree(parent, known)
    return known[folder]


def _git_entries(top: str, *arguments: str) -> list[str] | None:
    """The NUL-separated output of a git command in `top`; None when git is missing or fails (then
    nothing is known about the tree and nothing is refused)."""
    try:
        result = subprocess.run(["git", *arguments], capture_output=True, check=False, cwd=top)
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return os.fsdecode(result.stdout).split("\0")


def _changed(top: str, candidates: set[str]) -> set[str]:
    """The candidates whose content differs from the last commit (staged or not). One status of the whole
    tree, not a pathspec per file: a large run's names would not fit on a command line."""
    entries = _git_entries(top, "status", "--porcelain=v1", "-z", "--untracked-files=no")
    changed = set()
    fields = iter(entries or ())
    for entry in fields:
        if len(entry) < 4:
            continue
        if entry[0] in "RC":
            next(fields, None)  # a rename's or copy's second field: where it came from
        changed.add(os.path.join(top, entry[3:]))
    return candidates & changed


def _untracked(top: str, candidates: set[str]) -> set[str]:
    """The candidates git does not track (untracked or ignored): everything not in its index. A file only
    staged is in the index; its content is not in history either, and `_changed` refuses it."""
    entries = _git_entries(top, "ls-files", "-z", "--cached", "--full-name")
    if entries is None:
        return set()
    tracked = {os.path.join(top, entry) for entry in entries if entry}
    return candidates - tracked
