"""The distribution maps toolkit/, codemods/ and compat/ onto one `sqlasync` namespace — and only that."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = {"toolkit": "sqlasync", "codemods": "sqlasync.codemods", "compat": "sqlasync.compat"}


def _packages_on_disk() -> set[str]:
    found = set()
    for folder, package in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((package, *relative)))
    return found


def test_every_package_folder_is_listed_in_pyproject() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _packages_on_disk()
    assert setuptools["package-dir"] == {v: k for k, v in FOLDERS.items()}


@pytest.mark.parametrize("bare", sorted(FOLDERS))
def test_bare_folder_names_are_not_importable(bare: str) -> None:
    """Only `sqlasync.*` reaches the source folders; a bare `import compat` must not."""
    spec = importlib.util.find_spec(bare)
    locations = [] if spec is None else [*(spec.submodule_search_locations or []), spec.origin or ""]
    assert not any(Path(p).resolve() == REPO / bare or str(p).startswith(str(REPO / bare) + "/") for p in locations if p)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True, capture_output=True,
    )
    return next(out.glob("sqlasync-*.whl"))


def test_wheel_contains_every_module_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in FOLDERS.items():
        for source in (REPO / folder).rglob("*.py"):
            relative = source.relative_to(REPO / folder).as_posix()
            assert f"{package.replace('.', '/')}/{relative}" in names
    assert not any(n.split("/")[0] in ("toolkit", "codemods", "compat", "tests", "fixtures") for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)


def test_non_editable_install_runs_cli_and_compat(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    probe = (
        "import sqlasync, sqlasync.codemods.registry, sqlasync.compat, sqlasync.cli;"
        "print(sqlasync.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(target)},
                            capture_output=True, text=True, cwd=tmp_path, check=True)
    assert result.stdout.strip().startswith(str(target))
    listed = subprocess.run([sys.executable, "-m", "sqlasync", "rules"], env={"PYTHONPATH": str(target)},
                            capture_output=True, text=True, cwd=tmp_path)
    assert listed.returncode == 0 and "Q101" in listed.stdout


def test_console_script_and_module_entry_point_agree() -> None:
    script = Path(sys.executable).parent / "sqlasync"
    by_script = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    by_module = subprocess.run([sys.executable, "-m", "sqlasync", "--version"], capture_output=True, text=True,
                               check=True, cwd=REPO.parent)
    assert by_script.stdout == by_module.stdout != ""
