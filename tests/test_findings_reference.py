"""`check` reports exactly the recorded findings on fixtures/ and the golden cases, F findings included.

The references under tests/support/findings/ were recorded by benchmarks/compare_findings.py; work meant to
change nothing but speed must leave them untouched. After a deliberate change of findings, regenerate them:
    python benchmarks/compare_findings.py record fixtures --output tests/support/findings/fixtures.txt
    python benchmarks/compare_findings.py record tests/cases --output tests/support/findings/cases.txt
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from support.cases import CASES_FOLDER_CHECK

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "tests" / "support" / "findings"

pytestmark = pytest.mark.slow


def test_findings_on_fixtures_are_the_recorded_ones() -> None:
    """The harness end to end, as `compare` runs it: check over fixtures/, canonical text, diff."""
    result = subprocess.run(
        [sys.executable, "benchmarks/compare_findings.py", "compare", "fixtures",
         "--reference", str(REFERENCES / "fixtures.txt")],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr


@pytest.mark.xdist_group(CASES_FOLDER_CHECK)
@pytest.mark.slow(minutes=4)  # the whole group: the check of every case, then test_golden.py's tests on its report
def test_findings_on_the_golden_cases_are_the_recorded_ones(cases_folder_report, capsys) -> None:
    """The harness's comparison of the report of `check tests/cases --no-cache` that test_golden.py reads too."""
    harness = _compare_findings()
    capsys.readouterr()
    differs = harness.compare((REFERENCES / "cases.txt").read_text(encoding="utf-8"),
                              harness.canonical(cases_folder_report), "cases.txt")
    assert differs == 0, capsys.readouterr().out[-20000:]


def _compare_findings():
    """benchmarks/compare_findings.py as a module (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("compare_findings", ROOT / "benchmarks" / "compare_findings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
