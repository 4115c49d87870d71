"""On-disk cache of one file's rewrite, for the runs that rewrite the same tree again: `plan` works out batch 1,
then `migrate --batch 1` works out the same batch to write it, and the `plan` after it the rest of the first.

A rewrite depends on more than its file: on the coloring solved over the whole project (which functions become
async, from which files) and on the project's tool settings (line length, isort order, version pins). So the key
holds the file's path and content, the coloring's digest, a digest of every file the coloring was solved over
and of the settings files at the project root, besides the run settings: any change anywhere in the project
is a miss for every file. Stored as JSON (never pickle: the cache folder lives in the user's repository).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from . import __version__
from .analysis import Migration
from .findings import Finding

# Bumped whenever the stored layout changes, so that old entries are never misread.
MIGRATION_FORMAT = 1
# What the project's formatters, isort and version pins are read from (codemods/project_style.py, pins.py).
SETTINGS_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8", "ruff.toml", ".ruff.toml", ".isort.cfg")
SETTINGS_PATTERNS = ("requirements*.txt", "requirements/*.txt")


class MigrationCache:
    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder / "migrations"
        self.salt = f"{__version__}\0{MIGRATION_FORMAT}\0{salt}"

    def key(self, path: str, source: bytes) -> str:
        digest = hashlib.sha256(self.salt.encode())
        digest.update(path.encode() + b"\0")
        digest.update(source)
        return digest.hexdigest()

    def get(self, key: str, path: str, source: bytes) -> Migration | None:
        try:
            data = json.loads((self.folder / key[:2] / f"{key[2:]}.json").read_text(encoding="utf-8"))
            updated = base64.b64decode(data["updated"]) if data["updated"] is not None else None
            return Migration(path, source, updated, Counter(data["fixed"]),
                             [Finding.from_dict(f) for f in data["left"]])
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, migration: Migration) -> None:
        """Keeps a migration that went through; one that failed is worked out again (and reported) next time."""
        if migration.error is not None:
            return
        target = self.folder / key[:2] / f"{key[2:]}.json"
        updated = base64.b64encode(migration.updated).decode() if migration.updated is not None else None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"updated": updated, "fixed": dict(migration.fixed),
                           "left": [f.to_dict() for f in migration.left]}, handle)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def sources_digest(sources: Iterable[tuple[str, bytes]]) -> str:
    """One digest of (display path, content) pairs, whatever their order."""
    digest = hashlib.sha256()
    for display, content in sorted(sources):
        digest.update(hashlib.sha256(display.encode() + b"\0" + content).digest())
    return digest.hexdigest()


def settings_digest(root: Path) -> str:
    """Digest of the settings files at the project root that shape a rewrite's layout and versions."""
    found = {name: root / name for name in SETTINGS_FILES}
    for pattern in SETTINGS_PATTERNS:
        found.update({path.relative_to(root).as_posix(): path for path in root.glob(pattern)})
    pairs = []
    for name, path in found.items():
        try:
            pairs.append((name, path.read_bytes()))
        except OSError:
            pass  # absent (or unreadable, for the tools too): it sets nothing
    return sources_digest(pairs)
