"""What a `check` run (or a merge of several) reports, in one shape every format renders."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..baseline import BaselineEntry
from ..findings import Finding
from ..runner import CheckOutcome
from ..runtime_evidence import RuntimeRecord
from ..shard import Shard

NEW, KNOWN = "new", "known"
_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


def finding_from_dict(data: dict) -> Finding:
    return Finding(**{name: data[name] for name in _FINDING_FIELDS if name in data})


@dataclass(frozen=True)
class Site:
    """A finding as reported: its baseline state and the runtime records of its lines."""

    finding: Finding
    baseline: str | None = None  # NEW, KNOWN, or None without a baseline
    # Project-relative path of the baseline entry it matched (differs from the finding's when moved).
    baseline_path: str | None = None
    runtime: tuple[RuntimeRecord, ...] = ()

    def to_dict(self) -> dict:
        return {**self.finding.to_dict(), "baseline": self.baseline, "baseline_path": self.baseline_path,
                "seen_at_runtime": bool(self.runtime), "runtime": [r.to_dict() for r in self.runtime]}

    @classmethod
    def from_dict(cls, data: dict) -> Site:
        return cls(finding_from_dict(data), data.get("baseline"), data.get("baseline_path"),
                   tuple(RuntimeRecord.from_dict(r) for r in data.get("runtime", [])))


@dataclass(frozen=True)
class BaselineUse:
    file: str
    fixed: tuple[BaselineEntry, ...] = ()


@dataclass(frozen=True)
class RuntimeUse:
    logs: tuple[str, ...]
    runtime_only: tuple[RuntimeRecord, ...] = ()


@dataclass
class Report:
    sites: list[Site]
    suppressed: list[Finding]
    # Shown path -> migrated construct -> count (files without any are left out).
    migrated: dict[str, dict[str, int]]
    files_scanned: int
    warnings: list[str] = field(default_factory=list)
    baseline: BaselineUse | None = None
    runtime: RuntimeUse | None = None
    shards: tuple[Shard, ...] = ()

    @classmethod
    def from_outcome(cls, outcome: CheckOutcome, shard: Shard | None = None) -> Report:
        return cls(
            sites=[Site(f) for f in outcome.findings],
            suppressed=sorted((f for r in outcome.results for f in r.suppressed), key=Finding.sort_key),
            migrated={r.path: dict(r.migrated) for r in outcome.results if r.migrated},
            files_scanned=outcome.files_scanned,
            warnings=[w for r in outcome.results for w in r.warnings],
            shards=(shard,) if shard else (),
        )

    @property
    def findings(self) -> list[Finding]:
        return [site.finding for site in self.sites]

    @property
    def failing(self) -> list[Site]:
        """What fails the build: new sites under a baseline, else every site."""
        if self.baseline is None:
            return list(self.sites)
        return [site for site in self.sites if site.baseline == NEW]

    @property
    def files_with_findings(self) -> int:
        return len({site.finding.path for site in self.sites})
