"""The ratchet: known sites pass, new ones fail, fixed ones are reported; edits, inserts and moves."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.renames import RenameMapError, parse_rename_map

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'

JOBS = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
    return db.query(Job).filter(Job.id == job_id).first()


def save(db: Session, job):
    db.add(job)
    db.commit()
"""
CLIPS = """\
from sqlalchemy.orm import Session


def list_clips(db: Session):
    return db.query(Clip).all()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(JOBS)
    (tmp_path / "app" / "clips.py").write_text(CLIPS)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--baseline", "baseline.json", "--update-baseline", "--allow-growth"]) == 0
    return tmp_path


def _check(capsys, *extra: str) -> tuple[int, dict]:
    code = main(["check", "--baseline", "baseline.json", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _states(report: dict) -> list[tuple[str, str, int, str]]:
    return [(f["path"], f["code"], f["line"], f["baseline"]) for f in report["findings"]]


def _entries(root: Path) -> list[dict]:
    return json.loads((root / "baseline.json").read_text())["entries"]


def test_a_fresh_baseline_holds_every_site_and_passes(project: Path, capsys) -> None:
    capsys.readouterr()
    assert len(_entries(project)) == 6
    code, report = _check(capsys)
    assert code == 0 and {state for *_, state in _states(report)} == {"known"}
    assert report["summary"]["baseline"] == {"file": "baseline.json", "new": 0, "known": 6, "fixed": 0}
    assert report["summary"]["failing"] == 0


def test_an_added_site_fails_and_is_the_only_one_listed(project: Path, capsys) -> None:
    (project / "app" / "jobs.py").write_text(JOBS + "\n\ndef drop(db: Session, job):\n    db.delete(job)\n")
    capsys.readouterr()
    code, report = _check(capsys)
    assert code == 1
    assert [s for s in _states(report) if s[3] == "new"] == [("app/jobs.py", "S102", 13, "new"),
                                                              ("app/jobs.py", "S101", 14, "new")]
    assert main(["check", "--baseline", "baseline.json"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in lines if line.startswith("app/")] == ["app/jobs.py:13:14",
                                                                                "app/jobs.py:14:5"]
    assert "Baseline baseline.json: 2 new, 6 known, 0 fixed since the baseline." in lines
    assert main(["check", "--baseline", "baseline.json", "--exit-zero"]) == 0


def test_edits_elsewhere_and_lines_inserted_above_keep_sites_known(project: Path, capsys) -> None:
    edited = ('"""Jobs."""\nimport os\n\nLIMIT = int(os.environ.get("LIMIT", "5"))\n\n'
              + JOBS.replace("    db.add(job)\n", "    job.touched = True\n    db.add(job)\n"))
    (project / "app" / "jobs.py").write_text(edited)
    capsys.readouterr()
    code, report = _check(capsys)
    assert code == 0 and report["summary"]["baseline"]["new"] == 0
    assert ("app/jobs.py", "Q101", 10, "known") in _states(report)


def test_a_removed_site_is_reported_fixed_and_update_shrinks_the_baseline(project: Path, capsys) -> None:
    (project / "app" / "clips.py").write_text(CLIPS.replace("db.query(Clip).all()", "[]"))
    capsys.readouterr()
    code, report = _check(capsys)
    assert code == 0
    assert [(e["path"], e["code"]) for e in report["baseline"]["fixed"]] == [("app/clips.py", "Q101")]
    assert report["summary"]["baseline"]["fixed"] == 1
    assert main(["check", "--baseline", "baseline.json", "--update-baseline"]) == 0
    assert "wrote 5 entries (was 6)" in capsys.readouterr().err
    assert len(_entries(project)) == 5


def test_update_never_grows_the_baseline_without_allow_growth(project: Path, capsys) -> None:
    (project / "app" / "jobs.py").write_text("import os\n" + JOBS + "\n\ndef drop(db: Session, job):\n    db.delete(job)\n")
    assert main(["check", "--baseline", "baseline.json", "--update-baseline"]) == 1
    entries = _entries(project)
    assert len(entries) == 6
    assert {e["line"] for e in entries if e["code"] == "Q101" and e["path"] == "app/jobs.py"} == {6}
    assert main(["check", "--baseline", "baseline.json", "--update-baseline", "--allow-growth"]) == 0
    assert len(_entries(project)) == 8
    capsys.readouterr()
    assert _check(capsys)[0] == 0


def test_a_moved_file_keeps_its_sites_without_a_rename_map(project: Path, capsys) -> None:
    (project / "app" / "media").mkdir()
    shutil.move(project / "app" / "clips.py", project / "app" / "media" / "clips.py")
    capsys.readouterr()
    code, report = _check(capsys)
    assert code == 0 and report["summary"]["baseline"] == {"file": "baseline.json", "new": 0, "known": 6, "fixed": 0}
    moved = next(f for f in report["findings"] if f["path"] == "app/media/clips.py" and f["code"] == "Q101")
    assert moved["baseline_path"] == "app/clips.py"
    assert main(["check", "--baseline", "baseline.json", "--update-baseline"]) == 0
    assert {e["path"] for e in _entries(project)} == {"app/jobs.py", "app/media/clips.py"}


def test_a_copy_is_new_code_while_the_original_stays_known(project: Path, capsys) -> None:
    shutil.copy(project / "app" / "clips.py", project / "app" / "clips_copy.py")
    capsys.readouterr()
    code, report = _check(capsys)
    assert code == 1
    assert sorted(s for s in _states(report) if s[3] == "new") == [("app/clips_copy.py", "Q101", 5, "new"),
                                                                    ("app/clips_copy.py", "S102", 4, "new")]


def test_git_rename_map_attributes_moved_sites_when_a_copy_appears_too(project: Path, capsys) -> None:
    """Unaided, the first file with the same fingerprints inherits the moved entries; git knows better."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "app"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (project / "app" / "media").mkdir()
    subprocess.run([*git, "mv", "app/clips.py", "app/media/clips.py"], check=True)
    (project / "app" / "a_copy.py").write_text("# copied for the export job\n" + CLIPS)
    subprocess.run([*git, "add", "app"], check=True)
    subprocess.run([*git, "commit", "-qm", "move and copy"], check=True)
    diff = subprocess.run([*git, "diff", "--name-status", "-M", "HEAD~1", "HEAD"], capture_output=True,
                          text=True, check=True).stdout
    assert "R100\tapp/clips.py\tapp/media/clips.py" in diff
    (project / "renames.txt").write_text(diff)
    capsys.readouterr()
    code, unaided = _check(capsys)
    assert code == 1 and {s[0] for s in _states(unaided) if s[3] == "new"} == {"app/media/clips.py"}
    code, report = _check(capsys, "--rename-map", "renames.txt")
    assert code == 1
    assert sorted(s for s in _states(report) if s[3] == "new") == [("app/a_copy.py", "Q101", 6, "new"),
                                                                    ("app/a_copy.py", "S102", 5, "new")]
    assert {f["baseline"] for f in report["findings"] if f["path"] == "app/media/clips.py"} == {"known"}


def test_a_partial_run_leaves_other_folders_entries_alone(project: Path, capsys) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "old.py").write_text(CLIPS)
    assert main(["check", "--baseline", "baseline.json", "--update-baseline", "--allow-growth"]) == 0
    (project / "app" / "jobs.py").write_text("")
    capsys.readouterr()
    code, report = _check(capsys, "lib")
    assert code == 0 and report["baseline"]["fixed"] == []
    code, report = _check(capsys, "app", "--select", "S")
    assert code == 0 and sorted(e["code"] for e in report["baseline"]["fixed"]) == ["S101", "S102", "S102"]
    assert main(["check", "app", "--select", "S", "--baseline", "baseline.json", "--update-baseline"]) == 0
    assert sorted((e["path"], e["code"]) for e in _entries(project)) == [
        ("app/clips.py", "Q101"), ("app/clips.py", "S102"), ("app/jobs.py", "Q101"),
        ("lib/old.py", "Q101"), ("lib/old.py", "S102")]


def test_identical_sites_in_one_function_are_counted_not_merged(project: Path, capsys) -> None:
    twice = JOBS.replace("    db.commit()\n", "    db.commit()\n    db.commit()\n")
    (project / "app" / "jobs.py").write_text(twice)
    capsys.readouterr()
    code, report = _check(capsys)
    assert code == 1 and report["summary"]["baseline"]["new"] == 1
    (project / "app" / "jobs.py").write_text(JOBS.replace("    db.commit()\n", ""))
    code, report = _check(capsys)
    assert code == 0 and [e["code"] for e in report["baseline"]["fixed"]] == ["S101"]


@pytest.mark.parametrize("content, message", [
    (None, "baseline not found"),
    ("{not json", "cannot read baseline"),
    ('{"entries": []}', "not a sqlasync baseline"),
    ('{"baseline_format": 1, "entries": [{"path": "a.py"}]}', "malformed baseline entry"),
])
def test_unusable_baselines_are_usage_errors(tmp_path: Path, monkeypatch, capsys, content, message) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    if content is not None:
        (tmp_path / "b.json").write_text(content)
    assert main(["check", "--baseline", "b.json"]) == 2
    assert message in capsys.readouterr().err
    if content is None:
        assert main(["check", "--baseline", "b.json", "--update-baseline"]) == 2


@pytest.mark.parametrize("argv", [["--update-baseline"], ["--rename-map", "r.txt"],
                                  ["--baseline", "b.json", "--allow-growth"]])
def test_baseline_options_need_each_other(project: Path, capsys, argv: list[str]) -> None:
    assert main(["check", *argv]) == 2
    assert "sqlasync: error:" in capsys.readouterr().err


def test_rename_map_parsing() -> None:
    text = 'M\tapp/a.py\nR100\tapp/old.py\tapp/new.py\nC075\tapp/x.py\tapp/y.py\nR087\t"caf\\303\\251.py"\t"b c.py"\n'
    assert parse_rename_map(text) == {"app/old.py": "app/new.py", "café.py": "b c.py"}
    with pytest.raises(RenameMapError, match="line 1"):
        parse_rename_map("this is not git output\n")
