"""Multi-file golden cases: check reports the expected codes per file, migrate gives after/, a second
migrate changes nothing, and check afterwards finds nothing fixable."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from support.repo_cases import RepoCase, repo_cases, tree

from sqlasync.cli import main

CASES = repo_cases()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def copy(case: RepoCase) -> Path:
        root = tmp_path / "project"
        shutil.copytree(case.before, root)
        # No [tool.sqlasync] table in the copy: the folder the run starts in is the project root.
        monkeypatch.chdir(root)
        return root

    return copy


def _check(case: RepoCase, capsys) -> dict[str, list[dict]]:
    capsys.readouterr()
    main(["check", *case.paths, "--format", "json", "--exit-zero", *case.options])
    findings: dict[str, list[dict]] = {}
    for finding in json.loads(capsys.readouterr().out)["findings"]:
        findings.setdefault(finding["path"], []).append(finding)
    return findings


def _migrate(case: RepoCase) -> int:
    return main(["migrate", *case.paths, "--allow-dirty", *case.options])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_reports_expected_codes_per_file(case: RepoCase, project, capsys) -> None:
    project(case)
    found = {path: tuple(sorted(f["code"] for f in items)) for path, items in _check(case, capsys).items()}
    assert found == case.expect


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_migrate_produces_after_and_is_idempotent(case: RepoCase, project, capsys) -> None:
    root = project(case)
    fixable = Counter(f["code"] for items in _check(case, capsys).values() for f in items if f["fixable"])
    assert _migrate(case) in (0, 1)
    out = capsys.readouterr().out
    fixed = Counter({code: int(count) for count, code in re.findall(r"fixed\s+(\d+) (\w+)", out)})
    assert fixed == fixable, "check must count exactly the sites migrate changes"
    # What migrate lists as left for manual work is what it could not fix, each with its reason.
    assert re.findall(r"^  \S+:\d+:\d+: \w+ None$", out, re.MULTILINE) == []
    assert tree(root) == case.expected_tree()
    assert _migrate(case) in (0, 1)
    assert tree(root) == case.expected_tree(), "a second migrate must change nothing"
    leftovers = [f for items in _check(case, capsys).values() for f in items]
    assert [f"{f['path']}:{f['line']} {f['code']}" for f in leftovers if f["fixable"]] == []
    assert all(f["reason"] for f in leftovers)


def test_excluding_the_rest_migrates_like_naming_the_part(project) -> None:
    """`--exclude` leaves files out of the run, not out of the project: the migrated part bridges to them."""
    case = next(c for c in CASES if c.id == "F108/partial_migration")
    root = project(case)
    assert case.paths == ("app/api",)
    excluded = [argument for pattern in ("app/legacy/", "app/db.py", "app/__init__.py")
                for argument in ("--exclude", pattern)]
    main(["migrate", *excluded, "--allow-dirty", *case.options])
    assert tree(root) == case.expected_tree()
