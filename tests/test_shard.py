"""`--shard K/N`: every file in exactly one slice, chosen by its project-relative path only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.shard import Shard, ShardError

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'


@pytest.mark.parametrize("text", ["", "3", "0/2", "3/2", "1/0", "a/b", "1/2/3", "-1/2"])
def test_bad_shard_specs_are_rejected(text: str) -> None:
    with pytest.raises(ShardError):
        Shard.parse(text)


def test_every_path_lands_in_exactly_one_shard_and_the_slices_are_balanced() -> None:
    paths = [f"pkg{i % 7}/module_{i}.py" for i in range(3000)]
    shards = [Shard.parse(f"{k}/4") for k in range(1, 5)]
    owners = [[s for s in shards if s.contains(p)] for p in paths]
    assert all(len(o) == 1 for o in owners)
    sizes = [sum(o[0] == s for o in owners) for s in shards]
    assert min(sizes) > 600 and max(sizes) < 900
    assert Shard.parse(" 2 / 4 ") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "app" / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for i in range(12):
        folder = root / "app" / ("sub" if i % 2 else "")
        (folder / f"m{i}.py").write_text(f"def f{i}(db):\n    return db.query(M{i}).all()\n")
    return root


def _paths(argv: list[str], capsys) -> set[str]:
    main(["check", "--format", "json", "--no-cache", *argv])
    return {f["path"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_slices_depend_on_the_project_relative_path_not_the_cwd(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    from_root = [_paths(["--shard", f"{k}/3"], capsys) for k in (1, 2, 3)]
    assert set().union(*from_root) == {f"app/m{i}.py" if i % 2 == 0 else f"app/sub/m{i}.py" for i in range(12)}
    assert sum(map(len, from_root)) == 12
    monkeypatch.chdir(project / "app")
    from_app = [_paths(["--shard", f"{k}/3", "."], capsys) for k in (1, 2, 3)]
    assert [{"app/" + p for p in shard} for shard in from_app] == from_root
    moved = project.parent / "elsewhere"
    project.rename(moved)
    monkeypatch.chdir(moved)
    assert [_paths(["--shard", f"{k}/3"], capsys) for k in (1, 2, 3)] == from_root


def test_a_bad_shard_is_a_usage_error(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    assert main(["check", "--shard", "4/3"]) == 2
    assert "K must be between 1 and N" in capsys.readouterr().err
