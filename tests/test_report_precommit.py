"""The pre-commit hook runs `sqlasync check` on the staged files exactly as pre-commit would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'

REPO = Path(__file__).resolve().parent.parent
LEGACY = "from sqlalchemy.orm import Session\n\n\ndef get(db: Session):\n    return db.query(Job).all()\n"


@pytest.fixture(scope="module")
def hook() -> dict:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return hook


def test_the_hook_is_well_formed(hook: dict) -> None:
    assert hook["id"] == "sqlasync-check" and hook["language"] == "python" and hook["types"] == ["python"]
    assert hook["entry"].split()[0] == "sqlasync" and hook["name"] and hook["description"]


def _run_hook(hook: dict, cwd: Path, *arguments: str) -> subprocess.CompletedProcess:
    """pre-commit runs `entry`, then `args`, then the file names; the console script is `python -m sqlasync`."""
    command = [sys.executable, "-m", *hook["entry"].split(), *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def test_the_hook_fails_on_legacy_access_and_honours_a_baseline(hook: dict, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "legacy.py").write_text(LEGACY)
    (tmp_path / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    assert _run_hook(hook, tmp_path, "clean.py").returncode == 0
    failed = _run_hook(hook, tmp_path, "clean.py", "legacy.py")
    assert failed.returncode == 1 and "legacy.py:5:12: Q101" in failed.stdout
    created = _run_hook(hook, tmp_path, "--baseline", "b.json", "--update-baseline", "--allow-growth", "legacy.py")
    assert created.returncode == 0
    assert _run_hook(hook, tmp_path, "--baseline", "b.json", "legacy.py", "clean.py").returncode == 0
    (tmp_path / "clean.py").write_text(LEGACY.replace("get(", "get_more("))
    added = _run_hook(hook, tmp_path, "--baseline", "b.json", "clean.py")
    assert added.returncode == 1 and "clean.py:5:12: Q101" in added.stdout
