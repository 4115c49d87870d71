"""The command-line contract: formats, exit codes, and clear errors on bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import sqlasync.cli as cli_module
from sqlasync.cli import main

LEGACY = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
    job = db.query(Job).filter(Job.id == job_id).first()
    db.commit()
    return job
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(LEGACY)
    (tmp_path / "app" / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".sqlasync_cache" not in p.parts}


def test_text_output_lines_and_exit_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "app/dao.py:4:5: F101 function `get_job` awaits after migration and must become `async def`"
    assert out[1] == "app/dao.py:4:17: S102 annotated with sync `Session`"
    assert out[2].startswith("app/dao.py:5:11: Q101 legacy Query API `db.query(...)...first()`")
    assert out[3].startswith("app/dao.py:6:5: S101 `db.commit()`")
    assert out[-1].startswith("Found 4 finding(s) in 1 of 2 file(s): 3 legacy site(s), 1 follow-on")


def test_json_report_shape(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"version", "findings", "summary"}
    first = report["findings"][0]
    assert set(first) >= {"code", "message", "path", "line", "column", "end_line", "end_column", "fixable",
                          "fingerprint"}
    summary = report["summary"]
    assert summary["total"] == 4 and summary["by_code"] == {"F101": 1, "Q101": 1, "S101": 1, "S102": 1}
    assert summary["files_scanned"] == 2 and summary["files_with_findings"] == 1
    assert summary["fixable"] == sum(f["fixable"] for f in report["findings"])


def test_select_ignore_and_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", "Q", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["by_code"] == {"Q101": 1}
    assert main(["check", "--select", "S", "--ignore", "S102", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["by_code"] == {"S101": 1}
    assert main(["check", "--select", "R"]) == 0
    assert main(["check", "--exit-zero"]) == 0


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--statistics"])
    out = capsys.readouterr().out
    assert "Q101" in out and "S101" in out and "app/dao.py" not in out


def test_configured_select_and_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.sqlasync]\nignore = ["S1", "F"]\n')
    main(["check", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["summary"]["by_code"] == {"Q101": 1}


def test_syntax_error_file_is_one_finding_and_the_run_goes_on(project: Path, capsys) -> None:
    (project / "app" / "broken.py").write_text("def broken(:\n    db.query(Job).all()\n")
    assert main(["check", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["by_code"] == {"F101": 1, "P001": 1, "Q101": 1, "S101": 1, "S102": 1}
    broken = next(f for f in report["findings"] if f["code"] == "P001")
    assert broken["path"] == "app/broken.py" and broken["line"] == 1 and "syntax error" in broken["message"]


def test_binary_and_unreadable_files(project: Path, capsys) -> None:
    (project / "app" / "blob.py").write_bytes(b"\x00\x01\x02binary")
    os.symlink(project / "missing-target.py", project / "app" / "dangling.py")
    (project / "app" / "latin.py").write_bytes(b"name = '\xe9'\ndb.query(Job).all()\n")
    assert main(["check", "--format", "json", "--select", "P"]) == 1
    found = {f["path"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert found["app/blob.py"]["code"] == "P002" and "binary" in found["app/blob.py"]["message"]
    assert found["app/dangling.py"]["code"] == "P002" and "cannot read" in found["app/dangling.py"]["message"]
    assert found["app/latin.py"]["code"] == "P002" and "decode" in found["app/latin.py"]["message"]


def test_nonexistent_path_is_a_usage_error(project: Path, capsys) -> None:
    assert main(["check", "nope"]) == 2
    assert "nope: no such file or directory" in capsys.readouterr().err


def test_unknown_config_key_is_named(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.sqlasync]\nsesion-names = ["db"]\n')
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "unknown key [tool.sqlasync] 'sesion-names'" in err and "session-names" in err


def test_bad_config_value_and_unknown_selector(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.sqlasync]\ntarget = "threads"\n')
    assert main(["check"]) == 2
    assert "target must be one of async, sync" in capsys.readouterr().err
    (project / "pyproject.toml").write_text("[tool.sqlasync]\n")
    assert main(["check", "--select", "Z9"]) == 2
    assert "unknown rule selector 'Z9'" in capsys.readouterr().err


def test_broken_pyproject_is_reported(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text("[tool.sqlasync\n")
    assert main(["check"]) == 2
    assert "cannot read TOML" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["check"], ["check", "--format", "json"], ["migrate", "--diff"],
                                  ["migrate", "--check"]])
def test_read_only_modes_write_nothing(project: Path, argv: list[str]) -> None:
    before = _snapshot(project)
    main([*argv, "--no-cache"])
    assert _snapshot(project) == before


def test_rules_and_explain(project: Path, capsys) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert {r["code"][0] for r in rules} >= set("QSDERX")
    assert main(["explain", "d102"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# D102 container-resolve-session")
    assert "## Why is this bad?" in text and "## Example" in text and "## Use instead" in text
    assert main(["explain", "Q999"]) == 2
    assert "unknown rule 'Q999'" in capsys.readouterr().err


def test_python_dash_m_entry_point(project: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "sqlasync", "check", "app", "--select", "Q"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Q101" in result.stdout


def test_a_bug_on_one_file_is_reported_and_the_others_still_checked(project: Path, capsys, monkeypatch) -> None:
    import sqlasync.codemods.query.recogniser as query

    def visit_Name(self, node):  # libcst's batched visitor dispatches by the method's own name
        if "boom" in self.context.module.code:
            raise RuntimeError("recogniser bug")

    monkeypatch.setattr(query.QueryRecogniser, "visit_Name", visit_Name, raising=False)
    (project / "app" / "boom.py").write_text("boom = 1\ndb.query(Job).all()\n")
    assert main(["check", "--format", "json", "-j", "1", "--no-cache"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["by_code"] == {"F101": 1, "P003": 1, "Q101": 1, "S101": 1, "S102": 1}
    bug = next(f for f in report["findings"] if f["code"] == "P003")
    assert bug["path"] == "app/boom.py" and "RuntimeError: recogniser bug" in bug["message"]


def test_an_internal_error_outside_any_file_is_exit_2_without_a_traceback(project: Path, capsys, monkeypatch) -> None:
    import sqlasync.cli as cli

    def broken(*_args, **_kwargs):
        raise KeyError("lost")

    monkeypatch.setattr(cli, "with_project_sources", broken)
    assert main(["check", "app"]) == 2  # 1 would read as "findings" to CI
    err = capsys.readouterr().err
    assert err.startswith("sqlasync: internal error (KeyError: 'lost' at test_cli.py:") and "Traceback" not in err


MANUAL_ONLY = """\
from sqlalchemy.orm import Session


def raw(db: Session, name):
    return db.execute("SELECT * FROM jobs WHERE name = '" + name + "'").fetchall()
"""
WIDENED = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
    return db.query(Job).filter(Job.id == job_id, Job.name == "a name long enough to wrap").order_by(Job.id).first()
""" + MANUAL_ONLY.split("\n\n\n")[1].replace("def raw", "\n\ndef raw")


@pytest.mark.parametrize("argv", [["migrate"], ["migrate", "--check"], ["migrate", "--diff"]])
def test_sites_left_for_manual_work_exit_1_in_every_mode(project: Path, argv: list[str], capsys) -> None:
    (project / "app" / "dao.py").write_text(MANUAL_ONLY)
    assert main([*argv, "--no-cache", "app"]) == 1
    captured = capsys.readouterr()
    assert "0 file(s)" in captured.out + captured.err
    assert "app/dao.py:5:12: X101" in captured.out + captured.err


def test_diff_reports_what_it_leaves_where_it_is_on_disk(project: Path, capsys) -> None:
    (project / "app" / "dao.py").write_text(WIDENED)
    wanted = '    return db.execute("SELECT * FROM jobs WHERE name = \'" + name + "\'").fetchall()'
    line = WIDENED.splitlines().index(wanted)
    assert main(["migrate", "--diff", "--no-cache", "app"]) == 1
    err = capsys.readouterr().err
    assert f"app/dao.py:{line + 1}:12: X101" in err, err


def test_migrate_keeps_its_cache_out_of_git_and_names_why_a_file_was_not_checked(project: Path, capsys) -> None:
    (project / "app" / "blob.py").write_bytes(b"\x00\x01\x02binary")
    main(["migrate", "app"])
    assert (project / ".sqlasync_cache" / ".gitignore").read_text().endswith("*\n")
    out = capsys.readouterr().out
    assert "app/blob.py:1:1: P002 the file was not checked: " in out
    assert "binary" in out.split("app/blob.py:1:1: P002", 1)[1].splitlines()[0]


def test_a_dirty_tree_is_refused_before_anything_is_analysed(project: Path, capsys, monkeypatch) -> None:
    import subprocess

    import sqlasync.closure as closure

    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@example.invalid", "-c", "user.name=t",
                                                  "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    (project / "app" / "dao.py").write_text(LEGACY + "\n# edited\n")

    def analysis(*_args, **_kwargs):
        raise AssertionError("analysed a tree it then refused")

    monkeypatch.setattr(closure, "migrate_files", analysis)
    # Reading the project's sources (D102's decisions parse files with LibCST) is analysis too.
    monkeypatch.setattr(cli_module, "with_project_sources", analysis)
    assert main(["migrate", "app"]) == 2
    err = capsys.readouterr().err
    assert "uncommitted changes" in err and "app/dao.py" in err


def test_migrate_does_not_overwrite_a_file_edited_while_it_ran(project: Path, capsys, monkeypatch) -> None:
    real = cli_module.sound_migrations
    edited = LEGACY + "\n# edited while the migration ran\n"

    def analysis_then_an_edit(*args, **kwargs):
        result = real(*args, **kwargs)
        (project / "app" / "dao.py").write_text(edited)
        return result

    monkeypatch.setattr(cli_module, "sound_migrations", analysis_then_an_edit)
    assert main(["migrate", "--no-cache", "app"]) == 2
    assert capsys.readouterr().err.strip() == (
        "sqlasync: error: app/dao.py changed on disk while sqlasync read the project; nothing was written "
        "(run it again)")
    assert (project / "app" / "dao.py").read_text() == edited


def test_a_dirty_tree_is_refused_from_outside_its_work_tree(project: Path, capsys, monkeypatch) -> None:
    import subprocess

    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@example.invalid", "-c", "user.name=t",
                                                  "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    edited = LEGACY + "\n# edited\n"
    (project / "app" / "dao.py").write_text(edited)
    elsewhere = project.parent / f"{project.name}-elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["migrate", str(project / "app")]) == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert (project / "app" / "dao.py").read_text() == edited


def test_a_dirty_file_behind_a_symlink_is_refused_and_named_from_the_current_folder(project: Path, capsys,
                                                                                      monkeypatch) -> None:
    import subprocess

    (project / "app" / "real").mkdir()
    (project / "app" / "dao.py").rename(project / "app" / "real" / "dao.py")
    (project / "app" / "dao.py").symlink_to("real/dao.py")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@example.invalid", "-c", "user.name=t",
                                                  "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    edited = LEGACY + "\n# edited\n"
    (project / "app" / "real" / "dao.py").write_text(edited)
    monkeypatch.chdir(project / "app")
    assert main(["migrate", "dao.py"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("pass --allow-dirty): real/dao.py"), err
    assert (project / "app" / "real" / "dao.py").read_text() == edited
