"""A stop signal ends the run in time even while LibCST's native parser holds the GIL (Linux): no Python
handler runs during a parse, so the supervisor (toolkit/supervisor.py) kills a run that does not answer.

One line `x = db.query(A).filter(A.x == 1).filter(...)...` with a thousand filters takes LibCST seconds
to parse (13 CPU-s on the machine it was measured on); before the supervisor, SIGTERM waited for all of it.
The supervisor never kills a run between its first temp file and its last rename, and a run killed from
outside takes the supervisor along."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.processes import children, descendants, running

from sqlasync.writing import TEMP_SUFFIX

# A stop signal must end the run within this many seconds.
EXIT_WITHIN = 2.0
PATHOLOGICAL = "x = db.query(A)" + ".filter(A.x == 1)" * 1000 + "\n"
LEGACY = "from sqlalchemy.orm import Session\n\n\ndef get(db: Session):\n    return db.query(A).all()\n"

# `python -m sqlasync ...` (through the console entry point, so supervised) whose LibCST parse of the
# pathological file is announced: the signal is sent only once the native parser is at it.
ANNOUNCED_PARSE = textwrap.dedent("""\
    import runpy, sys
    from pathlib import Path

    import libcst

    marker = Path(sys.argv[1])
    real_parse = libcst.parse_module

    def announced(source, *args, **kwargs):
        if len(source) > 10_000:
            marker.touch()
        return real_parse(source, *args, **kwargs)

    libcst.parse_module = announced
    sys.argv = ["sqlasync", *sys.argv[2:]]
    runpy.run_module("sqlasync", run_name="__main__", alter_sys=True)
""")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor is Linux's")


def _project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (root / "app" / "slow.py").write_text(PATHOLOGICAL)
    (root / "app" / "dao.py").write_text(LEGACY)
    return root


def _parsing(project: Path, marker: Path, command: str) -> subprocess.Popen:
    """`sqlasync <command>` on `project`, once it is inside the parse of the pathological file."""
    process = subprocess.Popen([sys.executable, "-c", ANNOUNCED_PARSE, str(marker), command, "--no-cache", "-j", "1",
                                "app"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError("the run never parsed the file")
        time.sleep(0.05)
    time.sleep(0.3)  # well inside the parse, which takes seconds
    return process


@pytest.mark.parametrize(("command", "signum", "whole_group"), [
    ("check", signal.SIGTERM, False),
    ("migrate", signal.SIGINT, True),  # what Ctrl-C on a terminal does
], ids=["SIGTERM to check", "Ctrl-C on migrate"])
def test_a_stop_signal_during_a_native_parse_ends_the_run_in_time(tmp_path: Path, command, signum,
                                                                  whole_group) -> None:
    project = _project(tmp_path / "project")
    before = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    process = _parsing(project, tmp_path / "parsing", command)
    try:
        started = descendants(process.pid)
        assert started, "the run is not supervised"
        sent = time.monotonic()
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        process.wait(timeout=60)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stderr = process.stderr.read()
    assert process.returncode == 128 + signum, stderr
    assert stderr.splitlines() == [f"sqlasync: interrupted ({signal.Signals(signum).name})"], stderr
    assert took < EXIT_WITHIN, f"took {took:.2f} s to exit"
    assert [pid for pid in started if running(pid)] == [], "a process of the run outlived it"
    assert {path: path.read_bytes() for path in project.rglob("*") if path.is_file()} == before
    assert list(project.rglob(f"*{TEMP_SUFFIX}")) == []


def test_a_run_killed_from_outside_takes_its_supervisor_along_with_the_same_signal(tmp_path: Path) -> None:
    """The OOM killer picks the process that holds the memory, the supervisor's child: whoever started
    sqlasync must see what it would have seen without a supervisor, death by SIGKILL."""
    process = _parsing(_project(tmp_path / "project"), tmp_path / "parsing", "check")
    try:
        (run,) = children(process.pid)
        os.kill(run, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert process.stderr.read() == ""


# `python -m sqlasync migrate` (supervised) whose renames into place are slowed down and announced: a stop
# signal waits while they run (writing.py), longer than the supervisor's grace.
SLOW_RENAMES = textwrap.dedent("""\
    import os, runpy, sys, time
    from pathlib import Path

    marker = Path(sys.argv[1])
    real_replace = os.replace

    def slow_replace(source, target, *args, **kwargs):
        if str(target).endswith(".py"):
            marker.touch()
            time.sleep(0.2)
        return real_replace(source, target, *args, **kwargs)

    os.replace = slow_replace
    sys.argv = ["sqlasync", *sys.argv[2:]]
    runpy.run_module("sqlasync", run_name="__main__", alter_sys=True)
""")


def test_a_run_renaming_its_files_into_place_is_not_killed_half_way(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.sqlasync]\n")
    for index in range(16):
        (project / "app" / f"dao_{index:02}.py").write_text(LEGACY)
    marker = tmp_path / "renaming"
    process = subprocess.Popen([sys.executable, "-c", SLOW_RENAMES, str(marker), "migrate", "--no-cache", "app"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None and time.monotonic() < deadline, "the run never wrote"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stderr = process.stderr.read()
    assert process.returncode == 143, stderr
    assert stderr.splitlines() == ["sqlasync: interrupted (SIGTERM)"], stderr
    # The renames finished (the signal waited for them): every file is migrated, none half-way.
    assert [path.name for path in (project / "app").iterdir() if "db.query" in path.read_text()] == []
    assert list(project.rglob(f"*{TEMP_SUFFIX}")) == []
