"""Golden before/after cases: `tests/cases/<CODE>/<name>.py` and negative look-alikes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"
NEGATIVE_DIR = CASES_DIR / "negative"
# The xdist group of the tests that read conftest's `cases_folder_report`: one worker computes it, once.
CASES_FOLDER_CHECK = "cases-folder-check"
_HEADER = re.compile(r"^# (expect|target): *(.*)$")


@dataclass(frozen=True)
class GoldenCase:
    path: Path
    expect: tuple[str, ...]
    target: str
    before: str
    after: str | None

    @property
    def id(self) -> str:
        return self.path.relative_to(CASES_DIR).as_posix()


def parse_case(path: Path) -> GoldenCase:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    headers: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        stripped = line.rstrip("\r\n")
        if stripped in ("# before", "# after"):
            current = sections.setdefault(stripped[2:], [])
        elif current is None:
            match = _HEADER.match(stripped)
            if match:
                headers[match.group(1)] = match.group(2).strip()
        else:
            current.append(line)
    if "before" not in sections or "expect" not in headers:
        raise ValueError(f"{path}: a case needs an `# expect:` header and a `# before` section")
    expect = () if headers["expect"] == "none" else tuple(sorted(headers["expect"].split()))
    after = "".join(sections["after"]) if "after" in sections else None
    return GoldenCase(path, expect, headers.get("target", "async"), "".join(sections["before"]), after)


def positive_cases() -> list[GoldenCase]:
    return [parse_case(p) for p in sorted(CASES_DIR.glob("*/*.py")) if p.parent != NEGATIVE_DIR]


def negative_cases() -> list[Path]:
    return sorted(NEGATIVE_DIR.glob("*.py"))


def check_cases_folder(output: Path) -> dict:
    """The JSON report of `sqlasync check tests/cases --no-cache`, run from the repository root."""
    run = subprocess.run([sys.executable, "-m", "sqlasync", "check", "tests/cases", "--no-cache", "--exit-zero",
                          "--format", "json", "--output", str(output)], cwd=CASES_DIR.parent.parent,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(output.read_text(encoding="utf-8"))
