"""Handing memory that a large file's work freed back to the system (glibc on Linux).

LibCST's native parser allocates some 500 bytes per byte of source while it parses (about 700 MB for the
50,000-line module of benchmarks/bench_large_file.py) and frees them when it is done; a large module's metadata,
released between passes, is mostly freed the same way. glibc keeps such freed pages in the process, and
Python's own allocator, which maps arenas of its own for small objects, does not reuse them: each later pass
added its memory on top. `malloc_trim` returns them. Elsewhere (another C library, another system) this does
nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

# From this size on (some 3,500 lines) a parse leaves about 50 MB behind; trimming takes a few milliseconds.
LARGE_SOURCE_BYTES = 100_000


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on (musl has no malloc_trim)
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def return_freed_memory() -> None:
    """Give the pages the C library holds free back to the system."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
