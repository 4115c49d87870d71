"""What a long run is doing, shown on a terminal while it runs: the phase, files done of the total, elapsed time.

Not to be confused with the *migration progress* of the reports (`sqlasync.progress`: how far a codebase
has come): this is the run's own liveness, on stderr only, and only for a person at a terminal. The runner
reports phases and finished files to `current()`; without `shown_on(...)` that is a sink that does nothing,
so piped runs, CI formats, tests and worker processes print nothing extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")


class RunStatus:
    """Receives the run's phases and finished files; this one ignores them."""

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts; `total` files will be counted in it (None: not counted)."""

    def advance(self, count: int = 1) -> None:
        """`count` more files of the current phase are done."""

    def stop(self) -> None:
        """The run is about to print its report: take the status off the terminal first."""

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, advancing by one as each is taken."""
        for item in items:
            yield item
            self.advance()


class TerminalStatus(RunStatus):
    """One line on the terminal, redrawn in place by rich and removed when the run ends."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(TextColumn("[bold]{task.description:<10}"), BarColumn(),
                                  TextColumn("{task.fields[files]}"), TimeElapsedColumn(), console=console,
                                  transient=True,
                                  # The report goes to stdout untouched: never through rich's console.
                                  redirect_stdout=False, redirect_stderr=False)
        # One task for the whole run: its elapsed time is the run's, its description the phase.
        self._task = self._progress.add_task("starting", total=None, files="")
        self._done, self._total = 0, None

    def phase(self, name: str, total: int | None = None) -> None:
        self._done, self._total = 0, total
        self._progress.update(self._task, description=name, total=total, completed=0, files=self._files())

    def advance(self, count: int = 1) -> None:
        self._done += count
        self._progress.update(self._task, advance=count, files=self._files())

    def _files(self) -> str:
        """`12/40 files` in a counted phase; nothing in a phase that counts no files."""
        return "" if self._total is None else f"{self._done}/{self._total} files"

    def stop(self) -> None:
        self._progress.stop()

    def __enter__(self) -> TerminalStatus:
        self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


_current: RunStatus = RunStatus()


def current() -> RunStatus:
    return _current


@contextmanager
def shown_on(console: Console) -> Iterator[RunStatus]:
    """Show the run's status on `console` until the block ends (however it ends: an interrupt, an error)."""
    global _current
    with TerminalStatus(console) as status:
        _current = status
        try:
            yield status
        finally:
            _current = RunStatus()
