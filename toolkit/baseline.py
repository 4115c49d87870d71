"""The ratchet: a baseline file of known legacy sites, so CI fails only when legacy access is added.

Entries are matched by fingerprint (rule code + normalised source of the site + enclosing
function/class path + occurrence), which survives edits elsewhere in the file and line shifts.
The path is matched separately: first the same (or git-renamed) path, then, for entries whose
file is gone, the same fingerprint anywhere (a move git did not report). `--update-baseline`
never adds entries unless growth is explicitly allowed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import __version__
from .findings import Finding

BASELINE_FORMAT = 1


class BaselineError(Exception):
    pass


@dataclass(frozen=True, order=True)
class BaselineEntry:
    path: str  # relative to the project root
    line: int  # informative only: matching never uses it
    code: str
    fingerprint: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BaselineEntry:
        return cls(data["path"], int(data["line"]), data["code"], data["fingerprint"], data["message"])

    @classmethod
    def of(cls, path: str, finding: Finding) -> BaselineEntry:
        return cls(path, finding.line, finding.code, finding.fingerprint, finding.message)


def load_baseline(file: Path) -> list[BaselineEntry]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BaselineError(
            f"{file}: baseline not found (create it with --update-baseline --allow-growth)") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"{file}: cannot read baseline: {exc}") from exc
    if not isinstance(data, dict) or data.get("baseline_format") != BASELINE_FORMAT:
        raise BaselineError(f"{file}: not a sqlasync baseline (format {BASELINE_FORMAT})")
    try:
        return [BaselineEntry.from_dict(entry) for entry in data["entries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"{file}: malformed baseline entry: {exc}") from exc


def write_baseline(file: Path, entries: Sequence[BaselineEntry]) -> None:
    """Sorted, one entry per line, so a shrinking baseline reads as a clean diff in review."""
    lines = ",\n".join("    " + json.dumps(e.to_dict(), ensure_ascii=False) for e in sorted(entries))
    text = (f'{{\n  "baseline_format": {BASELINE_FORMAT},\n  "generated_by": "sqlasync {__version__}",\n'
            f'  "entries": [\n{lines}\n  ]\n}}\n' if entries else
            f'{{\n  "baseline_format": {BASELINE_FORMAT},\n  "generated_by": "sqlasync {__version__}",\n'
            '  "entries": []\n}\n')
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Comparison:
    known: dict[int, BaselineEntry]  # index of a current finding -> the entry it matched
    fixed: list[BaselineEntry]  # entries of this run's files that match nothing any more
    untouched: list[BaselineEntry]  # entries of files this run did not look at


def compare(entries: Sequence[BaselineEntry], current: Sequence[tuple[str, Finding]], renames: Mapping[str, str],
            covers: Callable[[str, str], bool], exists: Callable[[str], bool]) -> Comparison:
    """Match current findings (project-relative path, finding) against baseline entries.

    Entries first follow `renames` (old path -> new path). `covers(path, code)` says whether this
    run would have reported such an entry if it were still there; `exists(path)` whether a
    project-relative path is still on disk.
    """
    remaining: dict[tuple[str, str], list[BaselineEntry]] = {}
    for entry in sorted(replace(e, path=renames.get(e.path, e.path)) for e in entries):
        remaining.setdefault((entry.fingerprint, entry.path), []).append(entry)
    known: dict[int, BaselineEntry] = {}
    for index, (path, finding) in enumerate(current):
        bucket = remaining.get((finding.fingerprint, path))
        if bucket:
            known[index] = bucket.pop(0)
    # A file moved without a rename map: its old path is gone, its sites reappear elsewhere.
    gone: dict[str, list[BaselineEntry]] = {}
    for (fingerprint, path), bucket in sorted(remaining.items()):
        if not exists(path):
            gone.setdefault(fingerprint, []).extend(bucket)
    for index, (_, finding) in enumerate(current):
        if index not in known and gone.get(finding.fingerprint):
            entry = gone[finding.fingerprint].pop(0)
            remaining[(entry.fingerprint, entry.path)].remove(entry)
            known[index] = entry
    unmatched = sorted(entry for bucket in remaining.values() for entry in bucket)
    return Comparison(known, [e for e in unmatched if covers(e.path, e.code)],
                      [e for e in unmatched if not covers(e.path, e.code)])


def updated_entries(comparison: Comparison, current: Sequence[tuple[str, Finding]],
                    allow_growth: bool) -> list[BaselineEntry]:
    """The new baseline: untouched entries, matched ones at their current place, new ones only if allowed."""
    kept = [BaselineEntry.of(path, finding) for index, (path, finding) in enumerate(current)
            if index in comparison.known or allow_growth]
    return sorted([*comparison.untouched, *kept])
