"""Which files a run covers, and how paths in reports, baselines and runtime logs map onto them.

Reports show paths as the user sees them (relative to the current folder); baselines and shard
hashes use paths relative to the project root, so they are the same on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .discovery import SourceFile, printable
from .shard import Shard


@dataclass(frozen=True)
class ProjectPaths:
    root: Path
    cwd: Path

    @classmethod
    def here(cls, root: Path) -> ProjectPaths:
        return cls(Path(os.path.abspath(root)), Path(os.path.abspath(Path.cwd())))

    def relative(self, shown: str) -> str:
        """The project-root-relative form of a path shown relative to the current folder (or absolute)."""
        absolute = Path(os.path.normpath(self.cwd / shown))
        resolved = (Path(os.path.realpath(self.root)), Path(os.path.realpath(absolute)))
        for base, candidate in ((self.root, absolute), resolved):
            try:
                return candidate.relative_to(base).as_posix()
            except ValueError:
                continue
        return absolute.as_posix()

    def shown(self, relative: str) -> str:
        absolute = Path(os.path.normpath(self.root / relative))
        try:
            return absolute.relative_to(self.cwd).as_posix()
        except ValueError:
            return absolute.as_posix()

    def exists(self, relative: str) -> bool:
        return os.path.lexists(self.root / relative)


class RunScope:
    """The files of one run: those discovered under the given paths, narrowed to a shard."""

    def __init__(self, paths: ProjectPaths, given: Sequence[Path], discovered: Sequence[SourceFile],
                 shard: Shard | None) -> None:
        self.paths = paths
        self.shard = shard
        # Named as the discovered files are shown (a name that is not UTF-8 escaped alike).
        self._given = [paths.relative(printable(str(p))) for p in given] or [paths.relative(".")]
        self._discovered = {paths.relative(f.display): f for f in discovered}
        self.checked = [f for rel, f in sorted(self._discovered.items()) if self.covers(rel)]
        self._checked = {paths.relative(f.display) for f in self.checked}

    def covers(self, relative: str) -> bool:
        """Whether a file at this project-relative path (existing or not) belongs to this run."""
        under = any(g in ("", ".") or relative == g or relative.startswith(g.rstrip("/") + "/") for g in self._given)
        return under and (self.shard is None or self.shard.contains(relative))

    def is_checked(self, relative: str) -> bool:
        return relative in self._checked

    def locate(self, path: str) -> str | None:
        """Project-relative path of a file named by an absolute path from any machine.

        A runtime log written on a server names `/srv/app/services/jobs.py`; the checkout here
        may live elsewhere, so a path outside the root is matched by its longest suffix that is
        a discovered file.
        """
        relative = self.paths.relative(path)
        if not PurePosixPath(relative).is_absolute():
            return relative
        parts = PurePosixPath(path).parts
        for start in range(1, len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in self._discovered:
                return candidate
        return None

    def shown(self, relative: str) -> str:
        """The path a report shows for a discovered file."""
        found = self._discovered.get(relative)
        return found.display if found is not None else self.paths.shown(relative)
