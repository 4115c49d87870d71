"""Multi-file golden cases: `tests/cases/<CODE>/<case>/` holding a whole small project.

    case.toml   expect = { "app/services/jobs.py" = ["F101", "S101"], ... }   codes `check` reports per file
                (files not listed must have no finding); optional `paths = ["app"]` (what the run is given,
                default the whole tree), `select = ["F", "S101"]` (default every rule) and `target = "sync"`
    before/     the project as it is
    after/      every file `migrate` changes, as it must read afterwards; files absent here stay byte-identical
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from support.cases import CASES_DIR

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class RepoCase:
    folder: Path
    expect: dict[str, tuple[str, ...]]
    paths: tuple[str, ...]
    target: str
    select: tuple[str, ...] = ()

    @property
    def options(self) -> list[str]:
        """Command-line options every run of this case uses."""
        selected = ["--select", ",".join(self.select)] if self.select else []
        return ["--no-cache", "--target", self.target, *selected]

    @property
    def id(self) -> str:
        return self.folder.relative_to(CASES_DIR).as_posix()

    @property
    def before(self) -> Path:
        return self.folder / "before"

    @property
    def after(self) -> Path:
        return self.folder / "after"

    def expected_tree(self) -> dict[str, bytes]:
        """Every file of the project after migrate: after/ where given, before/ otherwise."""
        tree = _tree(self.before)
        if self.after.is_dir():
            tree.update(_tree(self.after))
        return tree


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def tree(root: Path) -> dict[str, bytes]:
    return _tree(root)


def repo_cases() -> list[RepoCase]:
    cases = []
    for manifest in sorted(CASES_DIR.glob("*/*/case.toml")):
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        expect = {path: tuple(sorted(codes)) for path, codes in data.get("expect", {}).items()}
        cases.append(RepoCase(manifest.parent, expect, tuple(data.get("paths", ["."])), data.get("target", "async"),
                              tuple(data.get("select", ()))))
    return cases
