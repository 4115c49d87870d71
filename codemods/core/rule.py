"""What a rule is, and what its recogniser reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst


@dataclass(frozen=True)
class Rule:
    """A stable code with the documentation `sqlasync explain` prints.

    ``before``/``after`` double as test cases: for a fixable rule, migrating ``before`` with
    ``example_target`` must produce ``after`` exactly; for a manual rule ``after`` is what to
    write instead. ``example_path`` is the file the example stands for, for rules that only apply
    to some files (a conftest.py, an Alembic env.py).
    """

    code: str
    name: str
    family: str
    summary: str
    why: str
    before: str
    after: str
    fixable: bool = False
    fix_notes: str = ""
    example_target: str = "async"
    example_path: str = "example.py"

    @property
    def prefix(self) -> str:
        return self.code[0]


@dataclass(frozen=True)
class Match:
    """One legacy site found by a recogniser; the rewrite of its family consumes it."""

    rule: Rule
    node: cst.CSTNode
    message: str
    fixable: bool = False
    reason: str | None = None
    data: Any = field(default=None, compare=False)
    # A file outside the run that must be migrated with it for this site not to break (a partial run).
    needs: str | None = None

    def __post_init__(self) -> None:
        if not self.fixable and not self.reason:
            raise ValueError(f"{self.rule.code}: a site that cannot be fixed needs a reason")
