"""SIGINT and SIGTERM during a run: an exception the command line turns into exit 130 / 143, workers that
leave the stopping to their parent, and a window in which a signal waits (renaming files into place)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .supervisor import acknowledge_stop

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, like KeyboardInterrupt, so that no `except Exception` on the
    way (a rule's guard, a worker's error report) mistakes it for a failure and carries on."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, the first SIGINT or SIGTERM raises Interrupted in the main thread (elsewhere: no
    change, Python only lets the main thread install handlers), and tells the supervisor that the run is
    stopping. A later one is let go: the run is stopping already, and raising again would break off its
    clean-up (Ctrl-C reaches the run both from the terminal and passed on by the supervisor)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False
    owner = os.getpid()

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        if os.getpid() != owner:
            _as_worker_would(signum)
            return
        if stopping:
            return
        stopping = True
        acknowledge_stop()
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _as_worker_would(signum: int) -> None:
    """A worker forked inside the block inherits its handler until its initialiser replaces it; a signal in
    that gap (the pool ends a starting worker when another has died) gets what the initialiser sets up:
    SIGINT is left to the parent, SIGTERM ends the process as if unhandled, without a traceback."""
    if signum == signal.SIGTERM:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


@contextmanager
def stop_signals_held() -> Iterator[None]:
    """Within the block a stop signal waits; it is raised as soon as the block ends."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def stop_signal_waiting() -> bool:
    """A stop signal arrived while held and waits to be raised."""
    return bool(signal.sigpending() & set(STOP_SIGNALS))


def worker_leaves_stopping_to_parent(parent: int | None = None) -> None:
    """Initialiser of worker processes: Ctrl-C reaches the whole process group, and the parent stops its
    workers itself; SIGTERM (sent by the parent) ends a worker at once, without a traceback. A parent that
    cannot stop them (SIGKILL, the OOM killer) takes them along: on Linux the kernel sends each worker
    SIGTERM when `parent` dies; they would otherwise wait for work for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _end_with_parent() and parent is not None and os.getppid() != parent and not _running(parent):
        # The run died before the kernel was asked to tell. (A worker started by a fork server has that
        # server for its parent while the run goes on.)
        os._exit(128 + signal.SIGTERM)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_with_parent() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


_PR_SET_PDEATHSIG = 1
