"""The command line under faults, run as a user would run it (a real process): a FIFO, unreadable folders,
a symlink loop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LEGACY = textwrap.dedent("""\
    from sqlalchemy.orm import Session

    from app.models import User


    def get_user(db: Session, user_id: int):
        return db.query(User).filter(User.id == user_id).first()
""")


def _sqlasync(*args: str, cwd: Path, prefix: list[str] | None = None, timeout: float = 120):
    return subprocess.run([*(prefix or []), sys.executable, "-m", "sqlasync", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _permissions_apply() -> list[str]:
    """A command prefix under which file permissions bind: root's override dropped (root ignores a folder's
    mode otherwise), nothing for anyone else."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv is missing to drop the capability that ignores permissions")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def _project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.sqlasync]\n")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_fifo_is_reported_not_read(tmp_path: Path) -> None:
    project = _project(tmp_path, {"app/ok.py": "x = 1\n"})
    os.mkfifo(project / "app" / "pipe.py")
    result = _sqlasync("check", "--no-cache", "app", cwd=project, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "app/pipe.py:1:1: P002 cannot read: not a regular file but a named pipe (FIFO)" in result.stdout


def test_a_symlink_loop_named_directly_says_so(tmp_path: Path) -> None:
    project = _project(tmp_path, {})
    (project / "a.py").symlink_to("b.py")
    (project / "b.py").symlink_to("a.py")
    result = _sqlasync("check", "--no-cache", "a.py", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "a.py:1:1: P002 cannot read: Too many levels of symbolic links" in result.stdout


def test_unreadable_folders_and_files_are_findings_with_the_reason(tmp_path: Path) -> None:
    prefix = _permissions_apply()
    project = _project(tmp_path, {"app/ok.py": "x = 1\n", "app/secret/dao.py": LEGACY, "app/closed.py": LEGACY})
    os.chmod(project / "app" / "closed.py", 0)
    os.chmod(project / "app" / "secret", 0)
    try:
        whole = _sqlasync("check", "--no-cache", "app", cwd=project, prefix=prefix)
        named = _sqlasync("check", "--no-cache", "app/secret/dao.py", cwd=project, prefix=prefix)
    finally:
        os.chmod(project / "app" / "secret", 0o755)
    assert whole.returncode == 1 and "Traceback" not in whole.stderr, whole.stderr
    assert "app/secret:1:1: P002 cannot list the folder: Permission denied" in whole.stdout
    assert "app/closed.py:1:1: P002 cannot read: Permission denied" in whole.stdout
    assert named.returncode == 1 and "Traceback" not in named.stderr, named.stderr
    assert "app/secret/dao.py:1:1: P002 cannot read: Permission denied" in named.stdout
