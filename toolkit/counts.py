"""One vocabulary for every count sqlasync prints, so that `check`, `migrate` and the reports agree.

- A *finding* is one reported line: one rule at one place. Every count starts from findings.
- A *legacy site* is a finding of legacy database access (every rule family but two): what a migration
  removes, and what "left" counts in the progress headline.
- A *follow-on* finding is one of the async coloring's (F1xx/F2xx): a function or call that becomes async
  because of the sites it reaches. It goes away with the sites, so it is counted apart, never as a site.
- A *problem* is a finding about a file itself (P0xx: cannot parse, cannot read); no site was looked for.
- Every finding is either *fixable* (`sqlasync migrate` rewrites it) or *manual* (left for work by hand,
  with its reason). A rule that `sqlasync rules` lists as fixable still has manual findings where that
  one place cannot be rewritten safely; `check --statistics` lists their reasons.

`VOCABULARY` is the same text for `--help`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .findings import Finding
from .progress import FILE_FAMILY, FOLLOW_ON_FAMILIES, family_of

LEGACY, FOLLOW_ON, PROBLEM = "legacy", "follow-on", "problem"

VOCABULARY = """\
counts: a finding is one reported line (one rule at one place). Findings are legacy sites (legacy database
access, what a migration removes), follow-on findings (F: functions and calls that become async because of
the sites) or problems (P: a file that could not be checked). Each finding is fixable (`sqlasync migrate`
rewrites it) or manual (left for work by hand, with its reason; `check --statistics` lists the reasons)."""


def kind_of(finding: Finding) -> str:
    family = family_of(finding.code)
    if family == FILE_FAMILY:
        return PROBLEM
    return FOLLOW_ON if family in FOLLOW_ON_FAMILIES else LEGACY


@dataclass(frozen=True)
class Counts:
    findings: int = 0
    legacy: int = 0
    follow_on: int = 0
    problems: int = 0
    fixable: int = 0

    @property
    def manual(self) -> int:
        return self.findings - self.fixable

    def breakdown(self) -> str:
        """`12 legacy site(s), 30 follow-on` (and the problems when there are any)."""
        parts = [f"{self.legacy} legacy site(s)", f"{self.follow_on} follow-on"]
        if self.problems:
            parts.append(f"{self.problems} problem(s)")
        return ", ".join(parts)


def count(findings: Iterable[Finding]) -> Counts:
    kinds: Counter[str] = Counter()
    fixable = 0
    for finding in findings:
        kinds[kind_of(finding)] += 1
        fixable += finding.fixable
    return Counts(sum(kinds.values()), kinds[LEGACY], kinds[FOLLOW_ON], kinds[PROBLEM], fixable)
