"""Find the line of application code that called into compat.

Frames of compat itself and of the plumbing between the application and compat
(asyncio, contextlib, threads, SQLAlchemy, Starlette/FastAPI/AnyIO dispatch) are
skipped, so a warning names ``services/jobs.py:42`` rather than an event loop
internal.  When no application frame is on the stack at all (a dependency that
FastAPI calls for a route), the caller can supply the route endpoint instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FrameType

__all__ = ["CallSite", "application_frame", "call_site_of_function", "find_call_site", "site_of_frame"]

_COMPAT_PACKAGE = __name__.rpartition(".")[0]

# Top-level modules whose frames sit between application code and compat.
_PLUMBING_ROOTS = frozenset(
    {
        "asyncio",
        "contextlib",
        "concurrent",
        "threading",
        "functools",
        "anyio",
        "starlette",
        "fastapi",
        "sqlalchemy",
    }
)


@dataclass(frozen=True)
class CallSite:
    path: str
    line: int
    function: str
    # Dotted module name when known, so `-W ...:module` warning filters match.
    module: str | None = None


def _module_name(frame: FrameType) -> str:
    return frame.f_globals.get("__name__") or ""


def _is_compat(frame: FrameType) -> bool:
    name = _module_name(frame)
    return name == _COMPAT_PACKAGE or name.startswith(_COMPAT_PACKAGE + ".")


def _is_plumbing(frame: FrameType) -> bool:
    return _module_name(frame).partition(".")[0] in _PLUMBING_ROOTS


# Whether a code object's frames are compat or plumbing: every legacy call asks again for the same few
# frames. Keyed by id(): hashing a code object hashes its constants, nested functions' code included
# (1.7 µs for a function with 35 constants here). Each entry holds its code object, so the id stays
# unique; `report_legacy_access` relies on that for its own keys.
_passed_over: dict[int, tuple[CodeType, bool]] = {}


def application_frame(start: FrameType | None = None) -> FrameType | None:
    """The innermost frame from ``start`` (default: the caller) up that is neither compat nor plumbing, if any."""
    frame: FrameType | None = sys._getframe(1) if start is None else start
    while frame is not None:
        known = _passed_over.get(id(frame.f_code))
        if known is None:
            known = _passed_over[id(frame.f_code)] = (frame.f_code, _is_compat(frame) or _is_plumbing(frame))
        if not known[1]:
            return frame
        frame = frame.f_back
    return None


def site_of_frame(frame: FrameType) -> CallSite:
    code = frame.f_code
    return CallSite(os.path.abspath(code.co_filename), frame.f_lineno, code.co_name, _module_name(frame) or None)


def find_call_site(fallback: Callable[[], CallSite | None] | None = None) -> CallSite:
    """The innermost application frame above compat.

    Order of preference: an application frame; else ``fallback()`` (e.g. the
    current route's endpoint); else the first frame outside compat.
    """
    frame = application_frame()
    if frame is not None:
        return site_of_frame(frame)
    if fallback is not None:
        site = fallback()
        if site is not None:
            return site
    frame = sys._getframe(1)
    while frame is not None and _is_compat(frame):
        frame = frame.f_back
    if frame is None:
        raise RuntimeError("compat was entered without any caller frame")
    return site_of_frame(frame)


def call_site_of_function(function: object) -> CallSite | None:
    """Where a plain Python function is defined (used for route endpoints)."""
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    return CallSite(
        os.path.abspath(code.co_filename), code.co_firstlineno, code.co_name, getattr(function, "__module__", None)
    )
