"""The program's entry point (`sqlasync`, `python -m sqlasync`): a stop signal that arrives while the
command line is still loading (a second or so of imports) ends the program at once, as it would later, with
exit 130 / 143 and one line, instead of a KeyboardInterrupt traceback through whichever import it hit.

Only what this module needs is imported before the handlers are in place; nothing has started yet that
would need stopping or cleaning up (no worker, no temp file), so leaving at once is safe. Then, on Linux,
the run goes on in a supervised child (supervisor.py), forked before the command line is loaded."""

from __future__ import annotations

import os
import signal
import sys


def _standard_streams_open() -> None:
    """A standard stream closed by the caller (`sqlasync check >&-`) is opened on /dev/null: Python leaves
    sys.stdout None (every print fails), and the first file the run opened would take its number, so that
    whatever writes to that stream (a worker, a child process) would write into the file."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))


def _leave_at_once(signum: int, _frame) -> None:
    try:
        os.write(2, f"sqlasync: interrupted ({signal.Signals(signum).name})\n".encode())
    except OSError:
        pass  # no stderr to tell: the exit code says it
    os._exit(128 + signum)


def main() -> int:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _leave_at_once)
    _standard_streams_open()
    # Before the command line is loaded: the fork is cheap, and the parent never loads it.
    from .supervisor import supervised

    return supervised(_run)


def _run() -> int:
    # The command line installs its own handlers for the run (interrupts.stop_signals_raise).
    from .cli import main as run

    return run()
