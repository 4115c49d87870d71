"""The same numbers for the same tree: -j 1, -j 2, cold and warm cache, and shards merged back together."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.shard import Shard

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'

SHARDS = 3
LEGACY = """\
from sqlalchemy.orm import Session


def get_{i}(db: Session, key):
    return db.query(Item{i}).filter(Item{i}.key == key).first()


def save_{i}(db: Session, item):
    db.add(item)
    db.commit()  # sqlasync: ignore[S101,S999]
    db.refresh(item)
"""
MIGRATED = """\
from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


async def list_{i}(db: AsyncSession = Depends(get_db)):
    rows = (await db.scalars(select(Item{i}))).all()
    await db.commit()
    return rows
"""
BOOTSTRAP = """\
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine("sqlite+aiosqlite:///app.db")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
"""


def _file_in(shard: Shard, stem: str) -> str:
    """A project-relative path that falls into `shard` (picked, not hard-coded: the hash decides)."""
    return next(p for p in (f"{stem}_{n}.py" for n in range(1000)) if shard.contains(p))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    for i in range(27):
        folder = tmp_path / ("legacy", "mixed", "modern")[i % 3]
        folder.mkdir(exist_ok=True)
        (folder / f"m{i:02}.py").write_text((LEGACY if i % 3 < 2 else MIGRATED).format(i=i))
    (tmp_path / "modern" / "database.py").write_text(BOOTSTRAP)
    (tmp_path / "legacy" / "broken.py").write_text("def broken(:\n    db.query(Job).all()\n")
    mover = _file_in(Shard(1, SHARDS), "legacy/mover")
    (tmp_path / mover).write_text(LEGACY.format(i=99))
    assert main(["check", "-j", "1", "--no-cache", "--baseline", "baseline.json", "--update-baseline",
                 "--allow-growth"]) == 0
    # After the baseline: a file moves to another shard, a site is added, one is fixed.
    target = _file_in(Shard(2, SHARDS), "legacy/moved")
    shutil.move(tmp_path / mover, tmp_path / target)
    (tmp_path / "legacy" / "m00.py").write_text(LEGACY.format(i=0) + "\n\ndef extra(db: Session):\n    db.flush()\n")
    (tmp_path / "legacy" / "m03.py").write_text(LEGACY.format(i=3).replace("    db.refresh(item)\n", ""))
    log = tmp_path / "runtime.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in [
        {"version": 1, "entry": "call_legacy", "code": "S101", "path": str(tmp_path / "legacy" / "m00.py"),
         "line": 11, "function": "save_0"},
        {"version": 1, "entry": "SessionLocal", "code": "D101", "path": f"/srv/app/{target}", "line": 5,
         "function": "get_99"},
        {"version": 1, "entry": "SessionLocal", "code": "D101", "path": str(tmp_path / "mixed" / "m01.py"),
         "line": 2, "function": "<module>"},
        {"version": 1, "entry": "Pool.acquire", "code": "R102", "path": "/srv/elsewhere/worker.py",
         "line": 7, "function": "run"},
        "garbage",
    ]) + "\n")
    return tmp_path


COMMON = ["--baseline", "baseline.json", "--runtime-log", "runtime.jsonl", "--exit-zero"]


def _report(*argv: str) -> dict:
    output = Path(f"report-{abs(hash(argv))}.json")
    assert main(["check", "--format", "json", "--output", str(output), *COMMON, *argv]) == 0
    return json.loads(output.read_text())


def _comparable(report: dict) -> dict:
    return {**report, "shards": None, "warnings": sorted(set(report["warnings"]))}


def test_jobs_cache_and_shards_give_identical_reports(tree: Path, capsys) -> None:
    serial = _report("-j", "1", "--no-cache")
    parallel = _report("-j", "2", "--no-cache")
    cold = _report("-j", "2")
    warm = _report("-j", "1")
    shards = [f"shard{k}.json" for k in range(1, SHARDS + 1)]
    for k, name in enumerate(shards, start=1):
        assert main(["check", "--format", "json", "--output", name, "--shard", f"{k}/{SHARDS}", "-j", "2",
                     *COMMON]) == 0
    assert main(["report", "merge", *shards, "--format", "json", "--output", "merged.json"]) == 1
    merged = json.loads(Path("merged.json").read_text())
    capsys.readouterr()

    assert _comparable(serial) == _comparable(parallel) == _comparable(cold) == _comparable(warm) \
        == _comparable(merged)
    assert merged["shards"] == [{"index": k, "count": SHARDS} for k in range(1, SHARDS + 1)]
    # The tree exercises every part of the report, so agreement above means something.
    summary = serial["summary"]
    assert summary["baseline"]["new"] == 2 and summary["baseline"]["fixed"] == 1
    assert summary["baseline"]["known"] > 0 and summary["suppressed"] == 19 and summary["by_code"]["P001"] == 1
    assert summary["runtime"] == {"logs": ["runtime.jsonl"], "seen_at_runtime": 2, "runtime_only": 2}
    assert summary["progress"]["migrated"] == 9 * 4 + 2 and summary["progress"]["legacy"] > 0
    assert any(f["baseline_path"] and f["baseline_path"] != f["path"] for f in serial["findings"])
    assert "runtime.jsonl:5: not a JSON object; line skipped" in serial["warnings"]


def test_merge_renders_every_format_exactly_as_a_full_run(tree: Path, capsys) -> None:
    shards = []
    for k in range(1, SHARDS + 1):
        shards.append(f"s{k}.json")
        main(["check", "--format", "json", "--output", shards[-1], "--shard", f"{k}/{SHARDS}", *COMMON])
    for fmt in ("sarif", "markdown", "text", "junit", "gitlab", "github"):
        assert main(["check", "--format", fmt, "--output", f"full.{fmt}", *COMMON]) == 0
        main(["report", "merge", *shards, "--format", fmt, "--output", f"merged.{fmt}"])
        assert Path(f"merged.{fmt}").read_text() == Path(f"full.{fmt}").read_text(), fmt
    capsys.readouterr()


def test_merge_refuses_inputs_that_would_miscount(tree: Path, capsys) -> None:
    names = []
    for k in range(1, SHARDS + 1):
        names.append(f"part{k}.json")
        main(["check", "--format", "json", "--output", names[-1], "--shard", f"{k}/{SHARDS}"])
    main(["check", "--format", "json", "--output", "whole.json"])
    main(["check", "--format", "json", "--output", "other-count.json", "--shard", "1/2"])
    capsys.readouterr()
    for inputs, message in [
        (names[:2], "missing shard(s) 3/3"),
        ([*names, names[0]], "shard(s) 1 given more than once"),
        ([*names, "whole.json"], "cannot merge sharded and unsharded reports"),
        ([*names, "other-count.json"], "different shard counts"),
        ([*names, "baseline.json"], "not a sqlasync JSON report"),
        ([*names, "missing.json"], "cannot read report"),
    ]:
        assert main(["report", "merge", *inputs]) == 2, message
        assert message in capsys.readouterr().err


def test_merge_refuses_overlapping_runs(tree: Path, capsys) -> None:
    main(["check", "legacy", "--format", "json", "--output", "a.json", "--no-cache"])
    main(["check", "legacy", "mixed", "--format", "json", "--output", "b.json", "--no-cache"])
    main(["check", "modern", "--format", "json", "--output", "c.json", "--no-cache"])
    capsys.readouterr()
    assert main(["report", "merge", "a.json", "b.json"]) == 2
    assert "the runs overlap" in capsys.readouterr().err
    assert main(["report", "merge", "a.json", "c.json", "--format", "json", "--exit-zero"]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["summary"]["files_scanned"] == 11 + 10


def test_cross_file_findings_agree_across_shards(tmp_path: Path, monkeypatch, capsys) -> None:
    """Families that reason across files (the async coloring) must see the whole run from every shard."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    callee = _file_in(Shard(1, SHARDS), "pkg/dao")
    caller = _file_in(Shard(2, SHARDS), "pkg/handlers")
    (tmp_path / callee).write_text("from sqlalchemy.orm import Session\n\n\ndef get_item(db: Session, key):\n"
                                   "    return db.query(Item).filter(Item.key == key).first()\n")
    module = callee.removesuffix(".py").replace("/", ".")
    (tmp_path / caller).write_text(f"from {module} import get_item\n\n\ndef handler(db, key):\n"
                                   "    return get_item(db, key)\n")
    assert main(["check", "--format", "json", "--output", "full.json", "--select", "ALL", "--exit-zero"]) == 0
    for k in range(1, SHARDS + 1):
        main(["check", "--format", "json", "--output", f"x{k}.json", "--shard", f"{k}/{SHARDS}", "--select", "ALL"])
    main(["report", "merge", *(f"x{k}.json" for k in range(1, SHARDS + 1)), "--format", "json", "--output", "m.json"])
    capsys.readouterr()
    full, merged = (json.loads(Path(name).read_text()) for name in ("full.json", "m.json"))
    assert _comparable(full) == _comparable(merged)
    assert {f["path"] for f in full["findings"]} == {callee, caller}, "the caller must have findings of its own"
