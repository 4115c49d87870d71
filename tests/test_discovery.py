"""File discovery: .gitignore, excludes, virtualenvs, and explicitly named paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlasync.config import load_config
from sqlasync.discovery import discover


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def _found(paths: list[Path], cwd: Path) -> list[str]:
    return [f.display for f in discover(paths, load_config(paths))]


def test_gitignore_virtualenvs_and_build_dirs_are_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (tmp_path / ".gitignore").write_text("generated/\n*.gen.py\n")
    (tmp_path / "app" / ".gitignore").parent.mkdir()
    (tmp_path / "app" / ".gitignore").write_text("local_settings.py\n")
    _tree(tmp_path, [
        "app/main.py", "app/local_settings.py", "app/model.gen.py", "generated/schema.py",
        "myenv/lib/site.py", "build/lib/app.py", ".venv/x.py", "node_modules/y.py", "app/README.md",
    ])
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert _found([Path(".")], tmp_path) == ["app/main.py"]


def test_excludes_apply_unless_the_path_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.sqlasync]\nexclude = ["fixtures/**", "**/migrations/"]\n')
    _tree(tmp_path, ["app/a.py", "app/migrations/m1.py", "fixtures/demo/app.py", "fixtures/demo/migrations/m.py"])
    assert _found([Path(".")], tmp_path) == ["app/a.py"]
    assert _found([Path("fixtures")], tmp_path) == ["fixtures/demo/app.py"]
    assert _found([Path("fixtures/demo/app.py"), Path("app")], tmp_path) == ["app/a.py", "fixtures/demo/app.py"]


def test_config_is_found_by_walking_up_and_only_with_a_sqlasync_table(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sqlasync]\nsession-names = ["dbs"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    (tmp_path / "sub" / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "sub" / "deep")
    config = load_config([Path(".")])
    assert config.root == tmp_path and config.session_names == ("dbs",)


def test_a_file_listed_twice_is_checked_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path, ["a.py"])
    assert _found([Path("a.py"), Path("."), Path("./a.py")], tmp_path) == ["a.py"]


def test_project_default_run_leaves_fixtures_out(monkeypatch) -> None:
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(repo)
    found = _found([Path(".")], repo)
    assert found and not any(p.startswith(("fixtures/", "tests/cases/")) for p in found)
    assert any(p.startswith("fixtures/") for p in _found([Path("fixtures")], repo))


@pytest.mark.parametrize("include", [["*.py"], ["app/**/*.py"]])
def test_include_globs(tmp_path: Path, monkeypatch, include) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f"[tool.sqlasync]\ninclude = {include!r}\n".replace("'", '"'))
    _tree(tmp_path, ["app/x/a.py", "scripts/b.py", "app/c.pyi"])
    found = _found([Path(".")], tmp_path)
    assert "app/x/a.py" in found and "app/c.pyi" not in found
    assert ("scripts/b.py" in found) == (include == ["*.py"])
