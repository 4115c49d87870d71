"""How far the migration has come: legacy sites left against migrated constructs already present.

Both sides are counted per rule family, per directory and overall. Legacy sites and migrated
constructs come from different recognisers and are not one-to-one, so the percentage is a trend
to watch from run to run rather than an exact share of the work.

Only legacy database access counts as a legacy site. Findings that follow from those sites (the
async coloring: functions and callers that become async once the sites are migrated) are counted
apart as follow-on work, or every converted query would appear to add work; findings about
unreadable files are not sites at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from sqlasync.codemods.core.progress import CONSTRUCTS_BY_NAME
from sqlasync.codemods.registry import RULES

from .findings import Finding
from .problems import PROBLEMS

FILE_FAMILY = "file"
FOLLOW_ON_FAMILIES = frozenset({"coloring"})


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

    def add(self, key: str, finding: Finding) -> None:
        self.legacy[key] += 1
        self.fixable[key] += finding.fixable

    def rows(self) -> dict[str, dict]:
        keys = sorted(set(self.legacy) | set(self.migrated))
        return {key: _row(self.legacy[key], self.fixable[key], self.migrated[key]) for key in keys}


def progress(findings: Iterable[Finding], migrated: Mapping[str, Mapping[str, int]]) -> dict:
    by_family, by_directory, follow_on = _Tally(), _Tally(), _Tally()
    constructs: Counter[str] = Counter()
    for finding in findings:
        family = family_of(finding.code)
        if family in FOLLOW_ON_FAMILIES:
            follow_on.add(family, finding)
        elif family != FILE_FAMILY:
            by_family.add(family, finding)
            by_directory.add(directory_of(finding.path), finding)
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
        "follow_on": {family: {"sites": row["legacy"], "fixable": row["fixable"], "manual": row["manual"]}
                      for family, row in follow_on.rows().items()},
    }


def _row(legacy: int, fixable: int, migrated: int) -> dict:
    done = 100.0 if legacy == 0 else round(100 * migrated / (migrated + legacy), 1)
    return {"legacy": legacy, "fixable": fixable, "manual": legacy - fixable, "migrated": migrated, "percent": done}
