"""`migrate` rewrites only files whose present content git could give back: a file git does not track
(ignored ones too) is refused unless --allow-dirty, once the run knows it would rewrite it, before anything
is written; in plain, --batch and --verify runs alike. Real git repositories, real `sqlasync` processes."""

from __future__ import annotations

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
MODELS = textwrap.dedent("""\
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
""")
NOTHING_LEGACY = "def add(a, b):\n    return a + b\n"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args], cwd=root,
                   check=True, capture_output=True)


def _repository(root: Path, tracked: dict[str, str], untracked: dict[str, str]) -> Path:
    """A git repository with `tracked` committed and `untracked` written after the commit."""
    root.mkdir(exist_ok=True)
    files = {"pyproject.toml": "[tool.sqlasync]\n", "app/__init__.py": "", "app/models.py": MODELS, **tracked}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    for name, text in untracked.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _sqlasync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--no-cache", *args], cwd=root,
                          capture_output=True, text=True, timeout=300)


def _contents(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and ".git" not in path.relative_to(root).parts}


@pytest.mark.parametrize("mode", [[], ["--batch", "1"], ["--verify", "true"]], ids=["plain", "batch", "verify"])
def test_an_untracked_file_the_run_would_rewrite_is_refused_and_nothing_written(tmp_path: Path, mode) -> None:
    root = _repository(tmp_path / "project", {"app/tracked.py": LEGACY}, {"app/dao.py": LEGACY})
    before = _contents(root)
    result = _sqlasync(root, *mode)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == ("sqlasync: error: refusing to rewrite files git does not track, whose content "
                                     "no commit holds (commit them or pass --allow-dirty): app/dao.py")
    assert _contents(root) == before


def test_an_ignored_file_is_refused_like_an_untracked_one(tmp_path: Path) -> None:
    root = _repository(tmp_path / "project", {".gitignore": "app/generated/\n"}, {"app/generated/dao.py": LEGACY})
    before = _contents(root)
    result = _sqlasync(root, "app/generated/dao.py")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "git does not track" in result.stderr and "app/generated/dao.py" in result.stderr
    assert _contents(root) == before


def test_allow_dirty_rewrites_an_untracked_file(tmp_path: Path) -> None:
    root = _repository(tmp_path / "project", {}, {"app/dao.py": LEGACY})
    result = _sqlasync(root, "--allow-dirty")
    assert result.returncode in (0, 1), result.stderr
    assert "select(User)" in (root / "app" / "dao.py").read_text()


def test_tracked_clean_files_are_migrated_beside_an_untracked_file_the_run_leaves_alone(tmp_path: Path) -> None:
    root = _repository(tmp_path / "project", {"app/dao.py": LEGACY}, {"app/scratch.py": NOTHING_LEGACY})
    result = _sqlasync(root)
    assert result.returncode in (0, 1), result.stderr
    assert "select(User)" in (root / "app" / "dao.py").read_text()
    assert (root / "app" / "scratch.py").read_text() == NOTHING_LEGACY


def test_the_refusal_names_a_few_files_and_counts_the_rest(tmp_path: Path) -> None:
    untracked = {f"app/dao_{index}.py": LEGACY for index in range(7)}
    root = _repository(tmp_path / "project", {}, untracked)
    result = _sqlasync(root)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.strip().endswith("app/dao_0.py, app/dao_1.py, app/dao_2.py, app/dao_3.py, app/dao_4.py "
                                          "and 2 more"), result.stderr


def test_outside_a_git_repository_untracked_is_no_reason_to_refuse(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    (root / "app" / "dao.py").write_text(LEGACY)
    result = _sqlasync(root)
    assert result.returncode in (0, 1), result.stderr
    assert "select(User)" in (root / "app" / "dao.py").read_text()
