"""`--runtime-log`: call sites recorded by sqlasync.compat mark static findings and add runtime-only paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.compat.runtime_log import RUNTIME_LOG_ENV
from sqlasync.findings import Finding
from sqlasync.runtime_evidence import RuntimeRecord, match_runtime

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["D", "S"]\n'

JOBS = '''\
from sqlalchemy import text


def count_rows(container):
    db = container.resolve("db_session")
    return db.execute(text("SELECT 1")).scalar()


def dynamic(container, key):
    session = container.resolve(key)
    return session.execute(text("SELECT 2")).scalar()


def never_called(container):
    db = container.resolve("db_session")
    return db.execute(text("SELECT 3")).scalar()
'''
DRIVER = '''\
import sys
sys.path.insert(0, sys.argv[1])
from app.jobs import count_rows, dynamic
from sqlasync.compat import Database, LegacyContainer, legacy_session_scope

container = LegacyContainer(Database(sys.argv[2]))
with legacy_session_scope():
    assert count_rows(container) == 1
    assert dynamic(container, "db_session") == 2
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "jobs.py").write_text(JOBS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run_app(project: Path, log: Path) -> None:
    """Run the legacy code for real under compat, in its own process, on its own SQLite database."""
    (project / "driver.py").write_text(DRIVER)
    env = {**os.environ, RUNTIME_LOG_ENV: str(log), "PYTHONWARNINGS": "ignore"}
    url = f"sqlite:///{project / 'app.db'}"
    subprocess.run([sys.executable, str(project / "driver.py"), str(project), url], env=env, check=True,
                   capture_output=True, text=True)


def test_sites_recorded_by_compat_are_marked_and_dynamic_ones_listed(project: Path, capsys) -> None:
    log = project / "runtime.jsonl"
    _run_app(project, log)
    assert main(["check", "--runtime-log", str(log), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    seen = {(f["code"], f["line"]): [r["entry"] for r in f["runtime"]] for f in report["findings"] if f["seen_at_runtime"]}
    assert seen == {("D102", 5): ["Container.resolve"]}
    assert [(r["path"], r["line"], r["code"], r["function"]) for r in report["runtime"]["runtime_only"]] == [
        (str(project / "app" / "jobs.py"), 10, "D102", "dynamic")]
    assert report["summary"]["runtime"] == {"logs": [str(log)], "seen_at_runtime": 1, "runtime_only": 1}
    assert main(["check", "--runtime-log", str(log)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("app/jobs.py:5:") and line.endswith("[seen at runtime: Container.resolve]")
               for line in lines)
    assert f"{project / 'app' / 'jobs.py'}:10: D102 seen only at runtime (Container.resolve in dynamic)" in lines
    assert "Runtime log: 1 site(s) seen executing, 1 legacy call site(s) seen only at runtime." in lines


def _record(path: str, line: int, code: str = "D102", **extra) -> str:
    return json.dumps({"version": 1, "entry": "Container.resolve", "code": code, "path": path, "line": line,
                       "function": "count_rows", "pid": 7, **extra})


def test_a_log_from_another_machine_matches_by_path_suffix_and_bad_lines_are_skipped(project: Path, capsys) -> None:
    log = project / "prod.jsonl"
    log.write_text("\n".join([
        _record("/srv/deploy/app/jobs.py", 5, target="app.jobs.count_rows"),
        _record("/srv/deploy/app/jobs.py", 5),  # a second process logs the same site
        "not json",
        json.dumps({"version": 2, "entry": "x"}),
        json.dumps({"version": 1, "entry": "Container.resolve", "code": "D102", "path": "/x.py", "line": "5",
                    "function": "f"}),
        "",
    ]) + "\n")
    assert main(["check", "--runtime-log", str(log), "--format", "json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [(f["code"], f["line"]) for f in report["findings"] if f["seen_at_runtime"]] == [("D102", 5)]
    assert report["runtime"]["runtime_only"] == []
    assert f"{log}:3: not a JSON object; line skipped" in captured.err
    assert f"{log}:4: unsupported runtime log version 2 (expected 1); line skipped" in captured.err
    assert f"{log}:5: missing or invalid 'line'; line skipped" in captured.err


def test_a_missing_log_is_a_usage_error(project: Path, capsys) -> None:
    assert main(["check", "--runtime-log", "nope.jsonl"]) == 2
    assert "cannot read runtime log" in capsys.readouterr().err


def _finding(code: str, line: int, end_line: int) -> Finding:
    return Finding(code, "m", "a.py", line, 1, end_line, 2, False, f"{code}{line}")


def test_same_code_then_narrowest_span_wins() -> None:
    findings = [_finding("S103", 1, 5), _finding("S101", 3, 3), _finding("Q101", 3, 4)]
    records = [RuntimeRecord("/p/a.py", 3, "S101", "call_legacy", "f"), RuntimeRecord("/p/a.py", 4, "R103", "x", "f"),
               RuntimeRecord("/p/a.py", 9, "D101", "SessionLocal", "f"), RuntimeRecord("/q/b.py", 1, "D101", "y", "g")]
    matched = match_runtime(findings, records, lambda p: "a.py" if p == "/p/a.py" else None,
                            lambda p: p == "/q/b.py")
    assert {i: [r.line for r in rs] for i, rs in matched.seen.items()} == {1: [3], 2: [4]}
    assert matched.runtime_only == [records[2]]
