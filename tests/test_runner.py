"""Parallel runs and the results cache give the same findings as a plain serial run."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlasync.runner as runner
from sqlasync.config import load_config
from sqlasync.discovery import discover
from sqlasync.runner import Options, check
from sqlasync.selection import Selection

LEGACY = "from sqlalchemy.orm import Session\n\n\ndef f{i}(db: Session):\n    return db.query(Job).filter(Job.id == {i}).all()\n"
CLEAN = "def g{i}(x):\n    return x + {i}\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text((LEGACY if i % 3 == 0 else CLEAN).format(i=i))
    return tmp_path


def _run(root: Path, **kwargs):
    config = load_config([Path(".")])
    options = Options(config, Selection(select=("Q", "S")), "async", **kwargs)
    return check(discover([Path(".")], config), options)


def _signature(outcome) -> list[tuple]:
    return [(f.path, f.line, f.column, f.code, f.fingerprint) for f in outcome.findings]


def test_serial_parallel_cold_and_warm_agree(tree: Path) -> None:
    serial = _run(tree, jobs=1, use_cache=False)
    assert len(serial.findings) == 14 * 2 and serial.files_scanned == 41 - 1
    parallel = _run(tree, jobs=2, use_cache=False)
    cold = _run(tree, jobs=2)
    warm = _run(tree, jobs=1)
    assert _signature(serial) == _signature(parallel) == _signature(cold) == _signature(warm)


def test_warm_run_does_not_parse_again_and_edits_invalidate(tree: Path, monkeypatch) -> None:
    _run(tree, jobs=1)
    parsed: list[str] = []
    real_analyse = runner.analyse

    def recording_analyse(source, path, *args, **kwargs):
        parsed.append(path)
        return real_analyse(source, path, *args, **kwargs)

    monkeypatch.setattr(runner, "analyse", recording_analyse)
    assert len(_run(tree, jobs=1).findings) == 28
    assert parsed == [], "an unchanged file was parsed again"
    (tree / "m00.py").write_text(LEGACY.format(i=0) + "\n\ndef h(db: Session):\n    db.commit()\n")
    assert len(_run(tree, jobs=1).findings) == 28 + 2
    assert parsed == ["m00.py"]
    assert (tree / ".sqlasync_cache" / ".gitignore").read_text().endswith("*\n")


def test_prefilter_changes_nothing_but_speed(tree: Path) -> None:
    (tree / "weird.py").write_text("import asyncpg\nasync def f(c: asyncpg.Connection):\n    await c.fetch('SELECT 1')\n")
    with_prefilter = _run(tree, jobs=1, use_cache=False)
    without = _run(tree, jobs=1, use_cache=False, use_prefilter=False)
    assert _signature(with_prefilter) == _signature(without)
