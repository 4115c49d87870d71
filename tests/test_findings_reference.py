"""`check` reports exactly the recorded findings on fixtures/ and the golden cases, F findings included.

The references under tests/support/findings/ were recorded by benchmarks/compare_findings.py; work meant to
change nothing but speed must leave them untouched. After a deliberate change of findings, regenerate them:
    python benchmarks/compare_findings.py record fixtures --output tests/support/findings/fixtures.txt
    python benchmarks/compare_findings.py record tests/cases --output tests/support/findings/cases.txt
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "tests" / "support" / "findings"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("tree", "reference"), [("fixtures", "fixtures.txt"), ("tests/cases", "cases.txt")])
def test_findings_are_the_recorded_ones(tree: str, reference: str) -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/compare_findings.py", "compare", tree, "--reference", str(REFERENCES / reference)],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr
