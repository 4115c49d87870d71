"""Tell users where legacy database access still happens.

Every compat entry point calls :func:`report_legacy_access`.  The first time a
given application line reaches a given entry point, a
:class:`LegacyDatabaseAccessWarning` is issued *for that line* (not for compat's
own frames) and, if ``SQLASYNC_RUNTIME_LOG`` names a file, a JSON line is
appended to it (format in :mod:`sqlasync.compat.runtime_log`).  Later calls
from the same line cost one set lookup.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable

from .callsite import CallSite, application_frame, find_call_site, site_of_frame
from .runtime_log import CallRecord, append_record

__all__ = ["LegacyDatabaseAccessWarning", "report_legacy_access"]

_RULE_ADVICE = {
    "D101": "create sessions through an async_sessionmaker, not SessionLocal() by hand",
    "D102": 'inject an AsyncSession with Depends(get_db) instead of Container.resolve("db_session")',
    "E105": "depend on the async get_db that yields an AsyncSession",
    "S101": "port the sync DAO to AsyncSession + select()",
    "R102": "use an AsyncSession / AsyncConnection instead of pool.acquire()",
    "R103": "run the statement through an AsyncSession with text() or select()",
    "R104": "use AsyncSession.begin() instead of an asyncpg transaction",
}


class LegacyDatabaseAccessWarning(DeprecationWarning):
    """Legacy database access went through the sqlasync.compat transition runtime."""


_seen: set[tuple[str, str, int]] = set()
_seen_frames: set[tuple[str, int, int]] = set()
_seen_lock = threading.Lock()


def report_legacy_access(
    entry: str,
    code: str,
    *,
    target: str | None = None,
    fallback: Callable[[], CallSite | None] | None = None,
) -> None:
    """Warn and log once for the application line that called ``entry``.

    Only compat's entry points call this, so the frame two levels up is usually the application line.
    """
    # Hot path, a call site already reported: the code object and bytecode offset identify the call
    # exactly and, unlike f_lineno, cost nothing to read. The code object goes by id (cheap to hash):
    # application_frame keeps every code object it returns alive, so an id in _seen_frames is never
    # reused by another code object, and a frame found there needs no walk and no classification.
    caller = sys._getframe(2)
    if (entry, id(caller.f_code), caller.f_lasti) in _seen_frames:
        return
    frame = application_frame(caller)
    if frame is not None:
        fast_key = (entry, id(frame.f_code), frame.f_lasti)
        if fast_key in _seen_frames:
            return
        site = site_of_frame(frame)
    else:
        fast_key = None
        site = find_call_site(fallback)
    key = (entry, site.path, site.line)
    with _seen_lock:
        if fast_key is not None:
            _seen_frames.add(fast_key)
        if key in _seen:
            return
        _seen.add(key)
    subject = f"{entry} ({target})" if target else entry
    message = f"[{code}] legacy database access via sqlasync.compat {subject}: {_RULE_ADVICE[code]}"
    # Logged before warning: a filter set to "error" must not lose the record.
    append_record(CallRecord(entry=entry, code=code, site=site, target=target))
    warnings.warn_explicit(
        message,
        LegacyDatabaseAccessWarning,
        filename=site.path,
        lineno=site.line,
        module=site.module,
        registry=None,
    )
