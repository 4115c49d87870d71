"""On-disk cache of one file's rewrite, for the runs that rewrite the same tree again: `plan` works out batch 1,
then `migrate --batch 1` works out the same batch to write it, and the `plan` after it the rest of the first.

A rewrite depends on more than its file: on the coloring solved over the whole project (which functions become
async, from which files) and on the project's tool settings (line length, isort order, version pins). So the key
holds the file's path and content, the coloring's digest, a digest of every file the coloring was solved over
and of the settings files at the project root, besides the run settings: any change anywhere in the project
is a miss for every file. Stored as compressed JSON (never pickle: the cache folder lives in the user's repository).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from . import __version__
from .analysis import Migration
from .codemods.index.summary_cache import content_key
from .findings import Finding

# Bumped whenever the stored layout changes, so that old entries are never misread.
MIGRATION_FORMAT = 1
# What the project's formatters, isort and version pins are read from (codemods/core/project_style.py, pins.py).
SETTINGS_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8", "ruff.toml", ".ruff.toml", ".isort.cfg")
SETTINGS_PATTERNS = ("requirements*.txt", "requirements/*.txt")
# Trees whose entries are kept: more than the batches of most plans, so that the runs after a plan find them all.
KEPT_TREES = 64


class MigrationCache:
    """Entries filed by the project tree they were worked out on (the digest of its files): a plan works on one
    tree per batch and the runs after it on the same trees in turn, while a tree left behind is never seen
    again. So each run marks its tree used, and the entries of all but the KEPT_TREES trees used last go."""

    def __init__(self, folder: Path, project_digest: str, salt: str) -> None:
        self.trees = folder / "migrations"
        self.folder = self.trees / project_digest[:32]
        self.salt = f"{__version__}\0{MIGRATION_FORMAT}\0{project_digest}\0{salt}"

    def key(self, path: str, source: bytes) -> str:
        return content_key(self.salt, path, source)

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.json.z"

    def get(self, key: str, path: str, source: bytes) -> Migration | None:
        try:
            data = json.loads(zlib.decompress(self._entry(key).read_bytes()))
            updated = base64.b64decode(data["updated"]) if data["updated"] is not None else None
            return Migration(path, source, updated, Counter(data["fixed"]),
                             [Finding.from_dict(f) for f in data["left"]])
        except (OSError, ValueError, TypeError, KeyError, zlib.error):
            return None

    def put(self, key: str, migration: Migration) -> None:
        """Keeps a migration that went through; one that failed is worked out again (and reported) next time.
        Compressed: most of an entry is the rewritten source."""
        if migration.error is not None:
            return
        target = self._entry(key)
        updated = base64.b64encode(migration.updated).decode() if migration.updated is not None else None
        entry = {"updated": updated, "fixed": dict(migration.fixed), "left": [f.to_dict() for f in migration.left]}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(zlib.compress(json.dumps(entry).encode()))
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def keep_recent(self) -> None:
        """This tree's entries marked used now; those of the trees beyond the KEPT_TREES used last removed."""
        try:
            os.utime(self.folder)
            trees = sorted((tree for tree in self.trees.iterdir() if tree.is_dir()),
                           key=lambda tree: tree.stat().st_mtime, reverse=True)
        except OSError:
            return  # nothing kept for this tree (or another run removed a folder meanwhile): nothing to sort out
        for stale in trees[KEPT_TREES:]:
            shutil.rmtree(stale, ignore_errors=True)


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
