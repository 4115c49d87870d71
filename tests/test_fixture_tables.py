"""Each fixture's FIXTURE.md pattern table is exactly what `sqlasync check` reports for it."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sqlasync.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROW = re.compile(r"^\|\s*`?(?P<file>[\w/.]+\.py):(?P<line>\d+)`?\s*\|\s*`?(?P<code>[A-Z]\d{3})`?\s*\|")


def _table(fixture: Path) -> Counter[tuple[str, int, str]]:
    rows = Counter()
    for line in (fixture / "FIXTURE.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[(match["file"], int(match["line"]), match["code"])] += 1
    return rows


@pytest.mark.parametrize("fixture", sorted(p.parent for p in FIXTURES.glob("*/FIXTURE.md")), ids=lambda p: p.name)
def test_fixture_table_matches_check(fixture: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(fixture)
    # The tables document the legacy patterns; the coloring (F) findings follow from them.
    main(["check", ".", "--format", "json", "--no-cache", "--select", "Q,S,D,E,R,X"])
    report = json.loads(capsys.readouterr().out)
    found = Counter((f["path"], f["line"], f["code"]) for f in report["findings"])
    expected = _table(fixture)
    assert expected, "FIXTURE.md has no pattern table"
    assert {"missing": sorted(expected - found), "unexpected": sorted(found - expected)} == {
        "missing": [], "unexpected": []
    }
