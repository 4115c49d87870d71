"""Record legacy call sites to a JSON-lines file named by ``SQLASYNC_RUNTIME_LOG``.

Format (version 1), one JSON object per line, UTF-8, ``\\n``-terminated::

    {"version": 1, "entry": "Container.resolve", "code": "D102",
     "path": "/srv/app/services/jobs.py", "line": 42, "function": "get_job",
     "pid": 4711, "target": "app.data.dao.get_job"}

``version``   always 1 for this layout.
``entry``     the compat API that was called (``SessionLocal``, ``get_db``,
              ``Container.resolve``, ``call_legacy``, ``legacy_dao``,
              ``Pool.acquire``, ``Connection.fetch``, ``Pool.fetchrow``,
              ``Connection.transaction``, ...).
``code``      the closest sqlasync rule code: D101 ``SessionLocal()`` by hand,
              D102 ``Container.resolve("db_session")``, E105 sync ``get_db``,
              S101 sync session I/O through the bridge, R102 ``pool.acquire``,
              R103 ``fetch``/``fetchrow``/``fetchval``/``execute``/``executemany``,
              R104 ``transaction``.
``path``      absolute path of the application file that made the call.
``line``      1-based line number of the call in ``path``.
``function``  name of the function containing that line (``<module>`` at top level).
``pid``       process that saw the call.
``target``    optional: the legacy function a bridge call ran (``module.qualname``).

Each call site is written at most once per process.  Several processes may
append to the same file: every record is one ``write`` on an ``O_APPEND``
descriptor, so lines never interleave.  Readers should ignore unknown keys.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .callsite import CallSite

__all__ = ["RUNTIME_LOG_ENV", "LOG_FORMAT_VERSION", "CallRecord", "append_record"]

RUNTIME_LOG_ENV = "SQLASYNC_RUNTIME_LOG"
LOG_FORMAT_VERSION = 1


@dataclass(frozen=True)
class CallRecord:
    entry: str
    code: str
    site: CallSite
    target: str | None = None

    def to_json(self) -> str:
        record: dict[str, object] = {
            "version": LOG_FORMAT_VERSION,
            "entry": self.entry,
            "code": self.code,
            "path": self.site.path,
            "line": self.site.line,
            "function": self.site.function,
            "pid": os.getpid(),
        }
        if self.target is not None:
            record["target"] = self.target
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def append_record(record: CallRecord) -> None:
    """Append one line to the file named by the environment, if any."""
    destination = os.environ.get(RUNTIME_LOG_ENV)
    if not destination:
        return
    line = (record.to_json() + "\n").encode("utf-8")
    descriptor = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)
