"""The processes a run started, read from /proc (Linux): to check that none outlives the run."""

from __future__ import annotations

from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (its children, theirs, ...)."""
    found, frontier = set(), [pid]
    while frontier:
        current = frontier.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.add(child)
            frontier.append(child)
    return found


def workers(pid: int) -> set[int]:
    """The worker processes of a run started as `pid`: the processes below it with none below them,
    whether the command line runs in `pid` itself or in a supervised child (toolkit/supervisor.py), which
    counts only until it starts its first worker."""
    return {process for process in descendants(pid) if not children(process)}


def children(pid: int) -> set[int]:
    try:
        return set(map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split()))
    except OSError:
        return set()


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
