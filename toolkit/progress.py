"""How far the migration has come: legacy sites left against migrated constructs already present.

Both sides are counted per rule family, per directory and overall. Legacy sites and migrated
constructs come from different recognisers and are not one-to-one, so the percentage is a trend
to watch from run to run rather than an exact share of the work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from sqlasync.codemods.progress import CONSTRUCTS_BY_NAME
from sqlasync.codemods.registry import RULES

from .findings import Finding
from .problems import PROBLEMS

FILE_FAMILY = "file"


def family_of(code: str) -> str:
    rule = RULES.get(code) or PROBLEMS.get(code)
    return rule.family if rule is not None else code[:1]


def directory_of(path: str) -> str:
    return PurePosixPath(path).parent.as_posix()


class _Tally:
    def __init__(self) -> None:
        self.legacy = Counter()
        self.fixable = Counter()
        self.migrated = Counter()

    def rows(self) -> dict[str, dict]:
        keys = sorted(set(self.legacy) | set(self.migrated))
        return {key: _row(self.legacy[key], self.fixable[key], self.migrated[key]) for key in keys}


def progress(findings: Iterable[Finding], migrated: Mapping[str, Mapping[str, int]]) -> dict:
    """Progress numbers; findings about unreadable files (family `file`) are not legacy sites."""
    by_family, by_directory = _Tally(), _Tally()
    constructs: Counter[str] = Counter()
    for finding in findings:
        family = family_of(finding.code)
        if family == FILE_FAMILY:
            continue
        for tally, key in ((by_family, family), (by_directory, directory_of(finding.path))):
            tally.legacy[key] += 1
            tally.fixable[key] += finding.fixable
    for path, counts in migrated.items():
        for name, count in counts.items():
            constructs[name] += count
            family = CONSTRUCTS_BY_NAME[name].family if name in CONSTRUCTS_BY_NAME else name
            by_family.migrated[family] += count
            by_directory.migrated[directory_of(path)] += count
    totals = _row(sum(by_family.legacy.values()), sum(by_family.fixable.values()), sum(constructs.values()))
    return {
        **totals,
        "by_family": by_family.rows(),
        "by_directory": by_directory.rows(),
        "by_construct": dict(sorted(constructs.items())),
    }


def _row(legacy: int, fixable: int, migrated: int) -> dict:
    done = 100.0 if legacy == 0 else round(100 * migrated / (migrated + legacy), 1)
    return {"legacy": legacy, "fixable": fixable, "manual": legacy - fixable, "migrated": migrated, "percent": done}
