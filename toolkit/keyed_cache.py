"""One JSON file of small values keyed by content, for what a run works out per file before any analysis
(the modules a file imports, the service-locator resolves D102 leaves in it): a run over unchanged files
looks them up instead of parsing the files again. Never pickle: the cache folder lives in the user's
repository. A run keeps only the entries it looked up, so entries of changed or deleted files go."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


class KeyedCache:
    """Values in `folder / name` by a digest of the salt, a key text and a file's content; without a
    folder, nothing is read or kept."""

    def __init__(self, folder: Path | None, name: str, salt: str) -> None:
        self.file = folder / name if folder is not None else None
        self.salt = salt
        self._stored = self._load()
        self._used: dict[str, object] = {}

    def _load(self) -> dict[str, object]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8")) if self.file is not None else {}
        except (OSError, ValueError):
            return {}
        return data.get("files", {}) if isinstance(data, dict) and data.get("salt") == self.salt else {}

    def value(self, key_text: str, content: bytes, work_out: Callable[[], object]):
        """The stored value for this key text and content, or `work_out()` (a JSON value), remembered."""
        key = hashlib.sha256(f"{key_text}\0".encode() + content).hexdigest()
        found = self._stored[key] if key in self._stored else work_out()
        self._used[key] = found
        return found

    def save(self) -> None:
        """Keep what this run looked up (the entries of files changed or gone since are dropped)."""
        if self.file is None or self._used == self._stored:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"salt": self.salt, "files": self._used}, handle)
            os.replace(tmp, self.file)
        except OSError:
            pass  # a cache that cannot be written only costs speed
