"""Results cache: findings keyed by file content, path, tool version and configuration."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from . import __version__
from .analysis import FileResult

# Bumped whenever the stored FileResult layout changes, so old entries are never misread.
RESULT_FORMAT = 2


class ResultCache:
    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder
        self.salt = f"{__version__}\0{RESULT_FORMAT}\0{salt}"

    def key(self, path: str, source: bytes) -> str:
        digest = hashlib.sha256(self.salt.encode())
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(source)
        return digest.hexdigest()

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> FileResult | None:
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
            return FileResult.from_dict(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, result: FileResult) -> None:
        target = self._file(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(result.to_dict(), handle)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def keep_out_of_version_control(folder: Path) -> None:
    """A `.gitignore` of `*` in the cache folder, as pytest and ruff write in theirs: whichever command
    creates the folder (check's results, migrate's summaries), it never shows in `git status`."""
    gitignore = folder / ".gitignore"
    if not os.path.exists(gitignore):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            gitignore.write_text("# created by sqlasync\n*\n", encoding="utf-8")
        except OSError:
            pass
