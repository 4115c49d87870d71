"""Findings: what `check` reports and `migrate` summarises."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fixable: bool
    fingerprint: str
    reason: str | None = None
    # A file outside the run that must be migrated with it, else this site breaks (see `migrate`'s refusal).
    needs: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**data)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code)


def fingerprint(code: str, normalised_source: str, enclosing: str, occurrence: int) -> str:
    """Identity of a finding that survives edits elsewhere in the file and line shifts.

    The path is deliberately left out so that a moved file keeps its findings.
    """
    digest = hashlib.sha256(f"{code}\0{enclosing}\0{normalised_source}\0{occurrence}".encode())
    return digest.hexdigest()[:20]
