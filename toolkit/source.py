"""Reading and writing source files without disturbing a byte we did not mean to change."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def looks_binary(content: bytes) -> bool:
    return b"\0" in content


def atomic_write(path: Path, content: bytes) -> None:
    """Replace `path` with `content` via a temp file + rename in the same folder, keeping its mode."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".sqlasync-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
