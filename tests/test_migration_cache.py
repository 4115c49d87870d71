"""The rewrite cache: a run over the same project reads each file's rewrite back instead of working it out, a
change anywhere in the project or in its tool settings works every file out again, and the rewrites `plan`
works out on its scratch copy serve the `migrate --batch 1` after it."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlasync.runner as runner
from sqlasync.cli import main

DAO = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
    job = db.query(Job).filter(Job.id == job_id).first()
    db.commit()
    return job
"""

SERVICE = """\
from app.dao import get_job


def job_name(db, job_id):
    return get_job(db, job_id).name
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "dao.py").write_text(DAO)
    (tmp_path / "app" / "service.py").write_text(SERVICE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def rewritten(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files each later run works out (rather than reads back from the cache)."""
    worked_out: list[str] = []
    migrate_job = runner._migrate_job

    def counted(job):
        worked_out.append(job[0][0])
        return migrate_job(job)

    monkeypatch.setattr(runner, "_migrate_job", counted)
    return worked_out


def _diff(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["migrate", "--diff", "app"]) in (0, 1)
    return capsys.readouterr().out


def test_a_second_run_reads_every_rewrite_back(project: Path, rewritten: list[str], capsys) -> None:
    first = _diff(capsys)
    assert "async def get_job" in first
    assert rewritten
    rewritten.clear()
    assert _diff(capsys) == first
    assert rewritten == []


@pytest.mark.parametrize("edit", [
    pytest.param(lambda root: (root / "app" / "service.py").write_text(SERVICE + "\n\nLIMIT = 3\n"), id="other-file"),
    pytest.param(lambda root: (root / "app" / "reports.py").write_text("from app.dao import get_job\n"),
                 id="new-file"),
    pytest.param(lambda root: (root / "pyproject.toml").write_text(
        "[tool.sqlasync]\n\n[tool.black]\nline-length = 60\n"), id="line-length"),
    pytest.param(lambda root: (root / "requirements.txt").write_text("sqlalchemy==2.0.30\n"), id="pins"),
])
def test_a_change_elsewhere_in_the_project_works_every_file_out_again(project: Path, rewritten: list[str], edit,
                                                                      capsys) -> None:
    _diff(capsys)
    rewritten.clear()
    edit(project)
    _diff(capsys)
    assert "app/dao.py" in rewritten


def test_no_cache_keeps_nothing(project: Path, rewritten: list[str], capsys) -> None:
    for _ in range(2):
        assert main(["migrate", "--diff", "--no-cache", "app"]) in (0, 1)
    assert rewritten.count("app/dao.py") == 2
    assert not (project / ".sqlasync_cache").exists()


def test_plan_leaves_its_rewrites_to_migrate_batch_1(project: Path, rewritten: list[str], capsys) -> None:
    assert main(["plan"]) == 1
    assert (project / ".sqlasync_cache" / "migrations").is_dir()
    rewritten.clear()
    main(["migrate", "--batch", "1", "--allow-dirty"])
    assert (project / "app" / "service.py").read_text() != SERVICE
    assert rewritten == []


def test_plan_without_cache_leaves_no_cache_folder(project: Path) -> None:
    assert main(["plan", "--no-cache"]) == 1
    assert not (project / ".sqlasync_cache").exists()


def test_only_the_trees_used_last_keep_their_entries(project: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import sqlasync.migration_cache as migration_cache

    monkeypatch.setattr(migration_cache, "KEPT_TREES", 2)
    trees = project / ".sqlasync_cache" / "migrations"
    seen = []
    for version in range(3):
        (project / "app" / "service.py").write_text(SERVICE + f"\n\nVERSION = {version}\n")
        _diff(capsys)
        seen.append({tree.name for tree in trees.iterdir()} - set().union(*seen))
    assert all(len(new) == 1 for new in seen)
    assert {tree.name for tree in trees.iterdir()} == seen[1] | seen[2]
