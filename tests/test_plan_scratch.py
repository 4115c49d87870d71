"""`sqlasync plan` works out later batches by rewriting a scratch copy of the project: nothing it writes there
may reach the project (or files beyond it) through a symlink, and a read-only project is copied writable."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.plan import scratch_copy

LEGACY = """\
from sqlalchemy.orm import Session


def get_user(db: Session, user_id: int):
    return db.query(User).filter(User.id == user_id).first()
"""


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    project, elsewhere = tmp_path / "project", tmp_path / "shared"
    (project / "app" / "real").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (project / "app" / "real" / "impl.py").write_text(LEGACY)
    (elsewhere / "lib.py").write_text(LEGACY)
    # An absolute link into the project, a relative one that climbs out of it, a relative one inside it.
    (project / "app" / "absolute.py").symlink_to(project / "app" / "real" / "impl.py")
    (project / "app" / "shared.py").symlink_to(Path("..", "..", "shared", "lib.py"))
    (project / "app" / "inside.py").symlink_to(Path("real", "impl.py"))
    monkeypatch.chdir(project)
    return project, elsewhere


def test_writes_through_the_copy_s_links_stay_in_the_copy(layout: tuple[Path, Path]) -> None:
    project, elsewhere = layout
    with scratch_copy(project) as copy:
        for name in ("absolute.py", "shared.py", "inside.py"):
            (copy / "app" / name).write_text(f"# {name} rewritten\n")
        assert (copy / "app" / "real" / "impl.py").read_text() == "# inside.py rewritten\n"
        assert (copy / "app" / "shared.py").read_text() == "# shared.py rewritten\n"
    assert (project / "app" / "real" / "impl.py").read_text() == LEGACY
    assert (elsewhere / "lib.py").read_text() == LEGACY


READ_ONLY_COPY = """\
import sys
from pathlib import Path
from sqlasync.plan import scratch_copy

with scratch_copy(Path(sys.argv[1])) as copy:
    (copy / "app" / "real" / "impl.py").write_text("x = 1\\n")
    (copy / "app" / "real" / "new.py").write_text("y = 2\\n")
"""


def test_a_read_only_project_is_copied_writable(layout: tuple[Path, Path]) -> None:
    project, _ = layout
    prefix = []
    if os.geteuid() == 0:  # root writes anywhere: drop the capability for the check to mean something
        if shutil.which("setpriv") is None:
            pytest.skip("running as root, and setpriv is missing to drop the capability that ignores permissions")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    folders = [project, project / "app", project / "app" / "real"]
    for path in [project / "app" / "real" / "impl.py", *folders]:
        os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        run = subprocess.run([*prefix, sys.executable, "-c", READ_ONLY_COPY, str(project)], capture_output=True,
                             text=True, timeout=60)
    finally:
        for path in folders:
            os.chmod(path, 0o755)
    assert run.returncode == 0, run.stderr


def test_plan_leaves_the_project_and_what_its_links_reach_as_they_were(layout: tuple[Path, Path], capsys) -> None:
    project, elsewhere = layout
    assert main(["plan", "--no-cache"]) in (0, 1)
    assert "batch" in capsys.readouterr().out
    assert (project / "app" / "real" / "impl.py").read_text() == LEGACY
    assert (elsewhere / "lib.py").read_text() == LEGACY


def test_plan_copies_around_a_named_pipe_and_what_it_may_not_read(layout: tuple[Path, Path]) -> None:
    project, _ = layout
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root, and setpriv is missing to drop the capability that ignores permissions")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    os.mkfifo(project / "app" / "pipe.py")
    (project / "app" / "secret").mkdir()
    (project / "app" / "secret" / "dao.py").write_text(LEGACY)
    (project / "app" / "closed.py").write_text(LEGACY)
    os.chmod(project / "app" / "closed.py", 0)
    os.chmod(project / "app" / "secret", 0)
    try:
        run = subprocess.run([*prefix, sys.executable, "-m", "sqlasync", "plan", "--no-cache"], cwd=project,
                             capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(project / "app" / "secret", 0o755)
    assert run.returncode in (0, 1) and "error" not in run.stderr, run.stderr
    assert "batch(es)" in run.stdout
