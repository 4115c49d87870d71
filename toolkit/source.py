"""Reading source files: only regular files, never blocking on a named pipe or a device."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class NotRegularFile(OSError):
    def __init__(self, path: Path, mode: int) -> None:
        kind = next((name for test, name in _KINDS if test(mode)), "not a file")
        super().__init__(errno.EINVAL, f"not a regular file but {kind}", str(path))


def read_source(path: Path) -> bytes:
    """The bytes of `path` if it is a regular file (through symlinks); NotRegularFile or the OS's own
    error otherwise. Opening does not wait: a FIFO with no writer would block a plain open() for ever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        _refuse_if_not_regular(path)  # a socket cannot be opened at all: ENXIO says "no such device"
        raise
    with open(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, mode)
        return handle.read()


def _refuse_if_not_regular(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, mode)


def looks_binary(content: bytes) -> bool:
    return b"\0" in content
