"""Every golden case: check finds exactly the expected codes, migrate gives `after`, a second run is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cases import CASES_DIR, CASES_FOLDER_CHECK, GoldenCase, negative_cases, positive_cases

from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.analysis import analyse, migrate
from sqlasync.selection import Selection

CASES = positive_cases()


def _config() -> Config:
    return Config(root=CASES_DIR)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_reports_expected_codes(case: GoldenCase) -> None:
    result = analyse(case.before.encode(), case.path.name, _config(), FAMILIES, case.target)
    assert tuple(sorted(f.code for f in result.findings)) == case.expect


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_migrate_produces_after_and_is_idempotent(case: GoldenCase) -> None:
    expected = case.after if case.after is not None else case.before
    first = migrate(case.before.encode(), case.path.name, _config(), FAMILIES, Selection(), case.target)
    output = (first.updated or case.before.encode()).decode()
    assert output == expected
    second = migrate(output.encode(), case.path.name, _config(), FAMILIES, Selection(), case.target)
    assert second.updated is None, "a second migrate must change nothing"


@pytest.mark.parametrize("path", negative_cases(), ids=lambda p: p.name)
def test_negative_look_alikes_are_not_findings(path: Path) -> None:
    result = analyse(path.read_bytes(), path.name, _config(), FAMILIES, "async")
    assert [f"{f.line}: {f.code} {f.message}" for f in result.findings] == []


def test_every_family_has_cases_and_look_alikes() -> None:
    prefixes_with_cases = {case.path.parent.name[0] for case in CASES}
    negative_families = {path.name.split("_")[0] for path in negative_cases()}
    for family in FAMILIES:
        assert family.prefix in prefixes_with_cases, f"no golden case for family {family.prefix}"
        assert family.name in negative_families, f"no negative look-alike for family {family.name}"


@pytest.mark.xdist_group(CASES_FOLDER_CHECK)
def test_check_over_the_cases_folder_reports_positives_only(cases_folder_report) -> None:
    """`check tests/cases --no-cache` from the repository root (the report test_findings_reference.py reads too)."""
    flagged = {f["path"] for f in cases_folder_report["findings"]}
    root = CASES_DIR.parent.parent
    expected = {c.path.relative_to(root).as_posix() for c in CASES if c.expect}
    negatives = {p.relative_to(root).as_posix() for p in negative_cases()}
    assert expected - flagged == set()
    assert flagged & negatives == set()
