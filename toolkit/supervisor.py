"""A stop signal ends the run in time even while LibCST's native parser holds the GIL (Linux).

LibCST parses in native code without releasing the GIL: one pathological line takes many seconds, and all
that time no Python signal handler runs, so Ctrl-C or SIGTERM would wait for the parse. So on Linux the
program forks before anything heavy is imported: the child runs the command line; the parent only waits.
The parent passes SIGINT and SIGTERM on to the child, whose handler (interrupts.py) acknowledges it on the
report pipe and stops the run itself (workers stopped, temp files removed). A child that has not
acknowledged within STOP_GRACE_SECONDS is killed, with its workers, and the parent exits 130 / 143 with
the line the child would have printed. While the child writes files (writing.py: from its first temp
file to its last rename) it is never killed: the parent waits for it to release them.

The child asks the kernel to SIGKILL it when the parent dies, so a supervisor killed with SIGKILL leaves
nothing running; a child that dies otherwise (the OOM killer) takes the parent along with the same signal.

Only the standard library, and only what this needs, is imported here: this runs before the command line
is loaded. Elsewhere than on Linux the run stays one process.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# How long the child's handler has to acknowledge a stop signal before the child is killed.
STOP_GRACE_SECONDS = 1.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# What the child reports on the pipe, one byte each.
STOPPING, WRITING, RELEASED = b"S", b"W", b"R"

_PR_SET_PDEATHSIG = 1
_report_fd: int | None = None  # the child's end of the report pipe; None when unsupervised
_writing_depth = 0


def supervised(run: Callable[[], int]) -> int:
    """`run()` in a supervised child on Linux, and its exit code; elsewhere `run()` itself."""
    if not sys.platform.startswith("linux"):
        return run()
    # Held until each side has its handlers: a signal meanwhile waits instead of hitting the wrong one.
    waited_for = {*STOP_SIGNALS, signal.SIGCHLD}
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, waited_for)
    # A SIGCHLD ignored by whoever started this would have the kernel reap the child before the parent can
    # ask for its exit code; the default keeps it (and is what the child's own subprocesses expect).
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    report_read, report_write = os.pipe()
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        os.close(report_read)
        _die_with(parent)
        global _report_fd
        _report_fd = report_write
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        return run()
    os.close(report_write)
    return _Parent(child, report_read).wait(previous_mask)


def acknowledge_stop() -> None:
    """In the child's stop-signal handler: the signal is being handled, no need to kill."""
    _report(STOPPING)


@contextmanager
def files_being_written() -> Iterator[None]:
    """Around writing files: while inside, temp files may exist or renames be half-done, and the parent
    does not kill the child."""
    global _writing_depth
    _writing_depth += 1
    if _writing_depth == 1:
        _report(WRITING)
    try:
        yield
    finally:
        _writing_depth -= 1
        if _writing_depth == 0:
            _report(RELEASED)


def _report(event: bytes) -> None:
    if _report_fd is None:
        return
    try:
        os.write(_report_fd, event)
    except OSError:
        pass  # the parent is gone; the kernel is ending this process too


def _die_with(parent: int) -> None:
    """Have the kernel SIGKILL this process when the parent dies (and leave now if it already has)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(128 + signal.SIGKILL)


class _Parent:
    def __init__(self, child: int, reports: int) -> None:
        self.child = child
        self.reports: int | None = reports
        self.stop: int | None = None         # the first stop signal passed on
        self.deadline: float | None = None   # when an unacknowledged child is killed
        self.acknowledged = False
        self.writing = False

    def wait(self, previous_mask) -> int:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        for signum in (*STOP_SIGNALS, signal.SIGCHLD):
            # Nothing to do in Python: the byte on the wake-up pipe is what counts.
            signal.signal(signum, lambda *_: None)
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        while True:
            ended = self._ended()
            if ended is not None:
                return ended
            if self._overdue():
                return self._kill()
            timeout = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
            watched = [wake_read] + ([self.reports] if self.reports is not None else [])
            ready, _, _ = select.select(watched, [], [], timeout)
            if wake_read in ready:
                for signum in os.read(wake_read, 512):
                    if signum in STOP_SIGNALS:
                        self._pass_on(signum)
            if self.reports in ready:
                self._read_reports()

    def _pass_on(self, signum: int) -> None:
        try:
            os.kill(self.child, signum)
        except ProcessLookupError:
            return
        if self.stop is None:
            self.stop = signum
        if not self.acknowledged and self.deadline is None:
            self.deadline = time.monotonic() + STOP_GRACE_SECONDS

    def _read_reports(self) -> None:
        events = os.read(self.reports, 512)
        if not events:  # every writer closed: nothing more will come
            os.close(self.reports)
            self.reports = None
            return
        for event in events:
            event = bytes([event])
            if event == STOPPING:
                self.acknowledged, self.deadline = True, None
            elif event == WRITING:
                self.writing = True
            elif event == RELEASED:
                self.writing = False
                if self.stop is not None and not self.acknowledged:
                    # A signal held while renaming is handled as the files are released: give it its time.
                    self.deadline = time.monotonic() + STOP_GRACE_SECONDS

    def _overdue(self) -> bool:
        return self.deadline is not None and not self.writing and time.monotonic() >= self.deadline

    def _ended(self) -> int | None:
        """The child's exit code once it has ended; one killed by a signal takes the parent along."""
        pid, status = os.waitpid(self.child, os.WNOHANG)
        if pid == 0:
            return None
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            if signum != signal.SIGKILL:  # the one signal whose action cannot be set (nor needs to be)
                signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return 128 + signum  # a signal that does not end a process by default
        return os.waitstatus_to_exitcode(status)

    def _kill(self) -> int:
        """End the child and everything it started, and say so as the child would have."""
        family = _descendants(self.child)
        os.kill(self.child, signal.SIGKILL)
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(self.child, 0)
        try:
            os.write(2, f"sqlasync: interrupted ({signal.Signals(self.stop).name})\n".encode())
        except OSError:
            pass  # no stderr to tell: the exit code says it
        return 128 + self.stop


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from each process's parent in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # `pid (name) state ppid ...`: the name may hold spaces and parentheses, the last `)` ends it.
                parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found
