"""`--runtime-log`: legacy call sites that `sqlasync.compat` recorded while the application ran.

The log is JSON lines in the layout of `sqlasync.compat.runtime_log` (version 1). Static findings
whose lines ran are marked as seen executing; recorded sites that match no finding are listed as
legacy paths seen only at runtime (dynamic access the static check cannot see).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .findings import Finding

LOG_FORMAT_VERSION = 1
_REQUIRED = {"entry": str, "code": str, "path": str, "line": int, "function": str}


class RuntimeLogError(Exception):
    """A runtime log file cannot be read at all."""


@dataclass(frozen=True, order=True)
class RuntimeRecord:
    path: str
    line: int
    code: str
    entry: str
    function: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RuntimeRecord:
        return cls(**{key: data[key] for key in ("path", "line", "code", "entry", "function")})


def read_runtime_logs(files: Iterable[Path]) -> tuple[list[RuntimeRecord], list[str]]:
    """Distinct records of every log (several processes log the same site), and warnings for bad lines."""
    records: set[RuntimeRecord] = set()
    warnings: list[str] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuntimeLogError(f"{file}: cannot read runtime log: {exc}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            record, problem = _parse(line)
            if problem:
                warnings.append(f"{file}:{number}: {problem}; line skipped")
            else:
                records.add(record)
    return sorted(records), warnings


def _parse(line: str) -> tuple[RuntimeRecord | None, str | None]:
    try:
        data = json.loads(line)
    except ValueError:
        return None, "not a JSON object"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    if data.get("version") != LOG_FORMAT_VERSION:
        return None, f"unsupported runtime log version {data.get('version')!r} (expected {LOG_FORMAT_VERSION})"
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            return None, f"missing or invalid {key!r}"
    return RuntimeRecord.from_dict(data), None


@dataclass(frozen=True)
class RuntimeMatch:
    # For each finding (by position in the list given), the records of lines it covers.
    seen: dict[int, tuple[RuntimeRecord, ...]]
    runtime_only: list[RuntimeRecord]


def match_runtime(findings: Sequence[Finding], records: Iterable[RuntimeRecord],
                  checked_path: Callable[[str], str | None], elsewhere: Callable[[str], bool]) -> RuntimeMatch:
    """Attach each record to the findings whose span covers its line.

    `checked_path(record path)` is the shown path of the file if this run checked it;
    `elsewhere(record path)` says a project file belongs to another run (another shard), whose
    report accounts for it. Among the findings covering a line, those with the record's own rule
    code win; otherwise the narrowest ones (a call inside a `with` block, not the block).
    """
    by_path: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        by_path.setdefault(finding.path, []).append(index)
    seen: dict[int, list[RuntimeRecord]] = {}
    runtime_only: list[RuntimeRecord] = []
    for record in records:
        shown = checked_path(record.path)
        if shown is None and elsewhere(record.path):
            continue
        candidates = by_path.get(shown, []) if shown is not None else []
        covering = [i for i in candidates if findings[i].line <= record.line <= findings[i].end_line]
        if not covering:
            runtime_only.append(record)
            continue
        same_code = [i for i in covering if findings[i].code == record.code]
        if same_code:
            chosen = same_code
        else:
            narrowest = min(findings[i].end_line - findings[i].line for i in covering)
            chosen = [i for i in covering if findings[i].end_line - findings[i].line == narrowest]
        for index in chosen:
            seen.setdefault(index, []).append(record)
    return RuntimeMatch({i: tuple(sorted(r)) for i, r in seen.items()}, sorted(runtime_only))
