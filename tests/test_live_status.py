"""The run's status on a terminal: phase, files done of the total and elapsed time on stderr when it is a
terminal, nothing at all when it is piped or the report is for machines; the report itself never changes."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sqlasync.live_status import RunStatus

LEGACY = """\
from sqlalchemy.orm import Session


def get_job_{i}(db: Session, job_id):
    job = db.query(Job).filter(Job.id == job_id).first()
    db.commit()
    return job
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (tmp_path / "app").mkdir()
    for i in range(6):
        (tmp_path / "app" / f"dao_{i}.py").write_text(LEGACY.format(i=i))
    return tmp_path


def _run(project: Path, *args: str, stderr_on_terminal: bool) -> tuple[bytes, bytes, int]:
    """stdout is always a pipe; stderr is a pseudo-terminal or a pipe."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    command = [sys.executable, "-m", "sqlasync", *args, "--no-cache", "-j", "1"]
    if not stderr_on_terminal:
        done = subprocess.run(command, cwd=project, capture_output=True, env=env, timeout=300)
        return done.stdout, done.stderr, done.returncode
    leader, follower = os.openpty()
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    terminal = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 300)
        if not ready:
            process.kill()
            raise AssertionError("no output for 300 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            break
        if not chunk:
            break
        terminal += chunk
    stdout = process.stdout.read()
    process.wait(timeout=60)
    os.close(leader)
    return stdout, terminal, process.returncode


def _plain(terminal: bytes) -> str:
    """What the terminal shows, without the escape sequences that colour and redraw it."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.decode("utf-8", "replace"))


def test_a_terminal_sees_phase_files_and_elapsed_time_and_the_report_is_unchanged(project: Path) -> None:
    piped = _run(project, "check", "app", stderr_on_terminal=False)
    shown = _run(project, "check", "app", stderr_on_terminal=True)
    assert piped[1] == b""  # nothing extra on a piped stderr
    assert shown[0] == piped[0] and shown[2] == piped[2] == 1  # stdout byte-identical, same exit code
    status = _plain(shown[1])
    assert "analysis" in status and "/6 files" in status and "0:00:" in status


def test_machine_formats_and_migrate_diff_output_stay_unchanged(project: Path) -> None:
    for args in (["check", "app", "--format", "json"], ["check", "app", "--format", "github"]):
        shown = _run(project, *args, stderr_on_terminal=True)
        assert shown[1] == b"", args  # no status beside a report for machines
        assert shown[0] == _run(project, *args, stderr_on_terminal=False)[0]
    piped = _run(project, "migrate", "app", "--diff", stderr_on_terminal=False)
    shown = _run(project, "migrate", "app", "--diff", stderr_on_terminal=True)
    assert shown[0] == piped[0] and shown[2] == piped[2]
    status = _plain(shown[1])
    assert "rewrite" in status and "6 file(s) would change." in status


def test_the_default_status_ignores_everything() -> None:
    status = RunStatus()
    status.phase("analysis", 3)
    assert list(status.counted([1, 2, 3])) == [1, 2, 3]
    status.stop()


def test_ctrl_c_under_the_status_exits_130_without_a_traceback(project: Path) -> None:
    # One file big enough that the run is still indexing when the signal comes.
    (project / "app" / "big.py").write_text("from sqlalchemy.orm import Session\n" + "".join(
        LEGACY.format(i=f"big_{i}").split("\n", 2)[2] for i in range(300)))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    leader, follower = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "sqlasync", "check", "app", "--no-cache", "-j", "2"],
                               cwd=project, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    terminal = b""
    try:
        while "index" not in _plain(terminal):
            ready, _, _ = select.select([leader], [], [], 120)
            assert ready, _plain(terminal)
            terminal += os.read(leader, 65536)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        while select.select([leader], [], [], 1)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        process.kill()
        os.close(leader)
    text = _plain(terminal)
    assert "sqlasync: interrupted" in text and "Traceback" not in text
    assert process.stdout.read() == b""
