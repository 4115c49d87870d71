"""One vocabulary for counts: findings are legacy sites, follow-on findings or problems; each is fixable or
manual; `check` and `migrate` of the same code say the same thing in those words."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.counts import FOLLOW_ON, LEGACY, PROBLEM, count, kind_of
from sqlasync.findings import Finding

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "raw_asyncpg"
LEFT_LINE = re.compile(r"^  (\S+):(\d+):(\d+): ([A-Z]\d+) ")


def _finding(code: str, fixable: bool) -> Finding:
    return Finding(code, "m", "a.py", 1, 1, 1, 2, fixable, "f")


def test_every_finding_has_one_kind_and_is_fixable_or_manual() -> None:
    findings = [_finding("Q101", True), _finding("S101", False), _finding("F101", True), _finding("P001", False)]
    assert [kind_of(f) for f in findings] == [LEGACY, LEGACY, FOLLOW_ON, PROBLEM]
    counts = count(findings)
    assert (counts.findings, counts.legacy, counts.follow_on, counts.problems) == (4, 2, 1, 1)
    assert (counts.fixable, counts.manual) == (2, 2)
    assert counts.breakdown() == "2 legacy site(s), 1 follow-on, 1 problem(s)"


# The tests on the fixture share one worker, so that its check and its migrate run once (module fixtures).
ON_THE_FIXTURE = pytest.mark.xdist_group("counts-raw_asyncpg")


@pytest.fixture(scope="module")
def check_report() -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(FIXTURE)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["check", ".", "--no-cache", "--format", "json"])
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def migrate_left() -> tuple[list[tuple[str, int, int, str]], str]:
    """What `migrate --diff` of the fixture leaves for manual work: the sites it lists, and its heading."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(FIXTURE)
        err = io.StringIO()
        diff = io.TextIOWrapper(io.BytesIO())  # the diff goes to stdout's bytes
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(diff):
            main(["migrate", ".", "--diff", "--no-cache"])
    summary = err.getvalue().splitlines()
    left = [(m[1], int(m[2]), int(m[3]), m[4]) for line in summary if (m := LEFT_LINE.match(line))]
    heading = next(line for line in summary if "left for manual work" in line)
    return left, heading


@pytest.mark.slow
@ON_THE_FIXTURE
def test_summary_lines_use_one_vocabulary(check_report: dict, capsys, monkeypatch) -> None:
    numbers = check_report["summary"]
    assert numbers["total"] == numbers["legacy"] + numbers["follow_on"] + numbers["problems"]
    assert numbers["total"] == numbers["fixable"] + numbers["manual"]
    # The headline's "legacy site(s) left" is the verdict's "legacy site(s)": one count under one name.
    assert numbers["progress"]["legacy"] == numbers["legacy"]
    monkeypatch.chdir(FIXTURE)
    main(["check", ".", "--statistics", "--no-cache"])
    lines = capsys.readouterr().out.splitlines()
    assert f"{numbers['legacy']} legacy site(s) left" in lines[-2]
    assert lines[-1] == (f"Found {numbers['total']} finding(s) in {numbers['files_with_findings']} of "
                         f"{numbers['files_scanned']} file(s): {numbers['legacy']} legacy site(s), "
                         f"{numbers['follow_on']} follow-on; {numbers['fixable']} fixable by `sqlasync migrate`, "
                         f"{numbers['manual']} manual.")
    # R103 is fixable in `sqlasync rules`; its manual findings here say why.
    reasons = lines[lines.index("Manual findings of rules that are fixable elsewhere, by reason:") + 1:]
    assert any(line.startswith("  R103 ") and "f-string" in line for line in reasons)


@pytest.mark.slow
@ON_THE_FIXTURE
def test_migrate_leaves_only_what_check_calls_manual(check_report: dict, migrate_left) -> None:
    left, heading = migrate_left
    manual = {(f["path"], f["line"], f["column"], f["code"]) for f in check_report["findings"] if not f["fixable"]}
    assert left and set(left) <= manual
    kinds = count(_finding(code, False) for *_, code in left)
    assert heading == f"{len(left)} finding(s) left for manual work ({kinds.breakdown()}):"


@pytest.mark.slow
@ON_THE_FIXTURE
def test_check_manual_count_is_what_migrate_leaves(check_report: dict, migrate_left) -> None:
    left, _ = migrate_left
    assert check_report["summary"]["manual"] == len(left)
