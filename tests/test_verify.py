"""`sqlasync migrate --verify CMD` on fixture copies: a file whose rewrite breaks CMD is found by bisection,
put back byte for byte and left legacy while the rest is migrated; a stop signal while CMD runs leaves the
tree at the last kept batch, committed, with a suite that passes.

CMD runs a part of the fixture's suite (each bisection step runs it again); the whole suite runs once at the
end, on the tree the verification left.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from support.fixture_harness import FIXTURES_ROOT, describe_run, discover_fixtures, run_fixture_suite

from sqlasync.analysis import Migration
from sqlasync.verify import KeptBatch, LeftFile, commit_message, fewest_to_hold_back, run_command

_IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".sqlasync_cache", "*.db")
INTERRUPTED = 128 + signal.SIGINT


def _copy(name: str, tmp_path: Path) -> Path:
    copy = tmp_path / "copy" / name
    shutil.copytree(FIXTURES_ROOT / name, copy, ignore=_IGNORED)
    return copy


def _git(project: Path, *args: str) -> str:
    environment = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True,
                          env=environment).stdout


def _committed_repository(project: Path) -> None:
    _git(project, "init", "-q")
    (project / ".gitignore").write_text("__pycache__/\n.sqlasync_cache/\n*.db\n.pytest_cache/\n")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "legacy")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if "__pycache__" not in p.parts}


def _suite_passes(project: Path, tmp_path: Path) -> None:
    fixture = next(p for p in discover_fixtures() if p.name == project.name)
    deselected = [argument for test in fixture.legacy_defects for argument in ("--deselect", test)]
    suite = run_fixture_suite(project, "sqlite", tmp_path / "suite", pytest_args=deselected)
    assert suite.returncode == 0, describe_run(suite)


def _pytest_command(*tests: str) -> str:
    """The fixture's tests on a scratch SQLite database its conftest.py makes when DATABASE_URL is unset."""
    return f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider " + " ".join(tests)


def _environment() -> dict[str, str]:
    # The outer pytest's settings and database must not reach CMD's pytest.
    return {name: value for name, value in os.environ.items()
            if not name.startswith("PYTEST_") and name != "DATABASE_URL"}


def test_failing_tests_are_read_from_pytest_output(tmp_path):
    script = tmp_path / "fake.sh"
    script.write_text("echo 'FAILED tests/test_a.py::test_b - AssertionError: x'\n"
                      "echo 'ERROR tests/test_c.py::test_d'\necho 'FAILED tests/test_a.py::test_b'\nexit 1\n")
    outcome = run_command(f"sh {shlex.quote(str(script))}")
    assert not outcome.passed
    assert outcome.failing_tests == ("tests/test_a.py::test_b", "tests/test_c.py::test_d")
    assert run_command("true").passed


def _bisected(files: list[str], breaking: set[str]) -> tuple[list[str], int]:
    """What the bisection holds back when CMD fails while any file of `breaking` is migrated, and how many
    runs of CMD that took."""
    runs = []

    def passes(held: frozenset[str]) -> bool:
        runs.append(held)
        return breaking <= held

    return fewest_to_hold_back(files, passes), len(set(runs))


@pytest.mark.parametrize("breaking", [{"f05"}, {"f00"}, {"f15"}, {"f02", "f11"}, {"f03", "f04"}])
def test_bisection_holds_back_exactly_the_files_that_break_cmd(breaking):
    files = [f"f{i:02}" for i in range(16)]
    held, runs = _bisected(files, breaking)
    assert sorted(held) == sorted(breaking)
    assert runs <= 2 * len(breaking) * 4 + 2  # about 2·log2(16) per culprit, not one run per file


def test_bisection_of_a_single_file_needs_no_run_beyond_the_failure():
    assert _bisected(["only.py"], {"only.py"}) == (["only.py"], 1)


def test_a_commit_subject_stays_short_whatever_cmd_is_and_the_body_names_it_whole():
    """A real suite command (a fresh database, the schema, pytest with its options: 400 characters on
    fastapi-realworld-example-app) made a subject line nobody could read in `git log --oneline`."""
    command = ("psql -c 'DROP DATABASE IF EXISTS app_test' -c 'CREATE DATABASE app_test' && alembic upgrade head"
               " && python -m pytest -p no:cacheprovider -n 0 --no-cov -W ignore::DeprecationWarning tests")
    kept = KeptBatch(3, [Migration("app/db/env.py", b"a", b"b", Counter({"E106": 1})),
                         Migration("tests/conftest.py", b"a", b"b", Counter({"F109": 1}))],
                     [LeftFile("app/api.py", ("tests/test_api.py::test_list",))])
    subject, blank, *body = commit_message(kept, command).splitlines()
    assert subject == "sqlasync: migrate batch 3 (2 file(s)), the test command passes"
    assert blank == ""
    assert f"Checked with: `{command}`" in body
    assert "  app/api.py (tests/test_api.py::test_list)" in body
    short = commit_message(kept, "make test").splitlines()
    assert short[0] == "sqlasync: migrate batch 3 (2 file(s)), `make test` passes"
    assert "Left: breaks `make test`:" in short


@pytest.mark.slow(minutes=2)
@pytest.mark.xdist_group("verify-interrupt")
def test_a_stop_signal_while_cmd_runs_leaves_the_last_kept_batch_committed(tmp_path):
    project = _copy("personas_alembic", tmp_path)
    _committed_repository(project)
    legacy = _tree(project)
    markers = tmp_path / "markers"
    markers.mkdir()
    # Each run of CMD leaves a marker first: the third run is the one after batch 2 (the first checks the tree
    # as it is, the second batch 1).
    mark = (f"{shlex.quote(sys.executable)} -c \"import pathlib, time; "
            f"pathlib.Path({str(markers)!r}, str(time.time_ns())).touch()\"")
    command = f"{mark} && {_pytest_command('tests/test_migrations.py', 'tests/test_data_users.py')}"
    process = subprocess.Popen([sys.executable, "-m", "sqlasync", "migrate", "--verify", command, "--commit"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_environment())
    deadline = time.monotonic() + 900
    while len(list(markers.iterdir())) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert process.poll() is None, process.communicate()
    time.sleep(2)  # CMD is running now
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == INTERRUPTED, stdout + stderr
    assert "batch 1: 1 file(s) migrated (alembic/env.py)" in stdout, stdout + stderr

    # Batch 1 is kept and committed, batch 2 is put back: nothing uncommitted, nothing but batch 1 changed.
    assert _git(project, "status", "--porcelain") == ""
    log = _git(project, "log", "--format=%B", "-1")
    assert log.startswith("sqlasync: migrate batch 1 (1 file(s))"), log
    assert "E106 x1" in log, log
    after = _tree(project)
    assert sorted(path for path in after if after[path] != legacy[path]) == ["alembic/env.py"]
    _suite_passes(project, tmp_path)


ENV_CONTRACT = '''"""Pins the legacy Alembic environment (a deployment runs it with a sync driver): only the code before
migration passes it."""

from pathlib import Path


def test_alembic_env_runs_on_a_sync_engine():
    source = (Path(__file__).resolve().parent.parent / "alembic" / "env.py").read_text()
    assert "async_engine_from_config" not in source
'''


@pytest.mark.slow(minutes=2)
@pytest.mark.xdist_group("verify-culprit")
def test_the_file_whose_rewrite_breaks_cmd_is_left_legacy_and_the_rest_migrated(tmp_path):
    project = _copy("personas_alembic", tmp_path)
    (project / "tests" / "test_env_contract.py").write_text(ENV_CONTRACT)
    _committed_repository(project)
    legacy = _tree(project)
    command = _pytest_command("tests/test_env_contract.py", "tests/test_migrations.py", "tests/test_data_users.py")
    run = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--verify", command, "--commit"],
                         cwd=project, capture_output=True, text=True, timeout=1800, env=_environment())
    assert run.returncode == 1, describe_run(run)
    assert (f"left: alembic/env.py breaks `{command}` "
            "(tests/test_env_contract.py::test_alembic_env_runs_on_a_sync_engine)") in run.stdout, describe_run(run)
    assert "1 left because they break" in run.stdout, describe_run(run)

    after = _tree(project)
    assert after["alembic/env.py"] == legacy["alembic/env.py"]
    # Every other file a full migration rewrites is migrated, and committed.
    assert _git(project, "status", "--porcelain") == ""
    legacy_commit = _git(project, "rev-list", "--max-parents=0", "HEAD").strip()
    committed = set(_git(project, "diff", "--name-only", legacy_commit, "HEAD").split())
    full = _copy("personas_alembic", tmp_path / "full")
    subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--allow-dirty", "--exclude", "alembic/env.py"],
                   cwd=full, capture_output=True, text=True, timeout=900, check=False)
    expected = {path for path, content in _tree(full).items() if content != legacy[path]}
    assert expected and committed == expected
    assert {path for path in after if after[path] != legacy[path]} == expected
    _suite_passes(project, tmp_path)


@pytest.mark.parametrize("arguments", [["--commit"], ["--verify", "true", "--diff"],
                                       ["--verify", "true", "--batch", "1"], ["--batch", "1", "--max-lines", "0"]])
def test_options_that_do_not_go_together_are_refused_before_anything_runs(arguments, tmp_path, monkeypatch, capsys):
    from sqlasync.cli import main

    (tmp_path / "app.py").write_text("def f(db):\n    return db.query(User).first()\n")
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "--allow-dirty", *arguments, "app.py"]) == 2
    assert "error:" in capsys.readouterr().err
    assert (tmp_path / "app.py").read_text() == "def f(db):\n    return db.query(User).first()\n"
