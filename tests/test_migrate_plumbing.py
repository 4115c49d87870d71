"""`migrate` plumbing, exercised with a tiny rename family: faithful bytes, atomic writes, diffs git applies."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import libcst as cst
import pytest

import sqlasync.cli as cli
import sqlasync.runner as runner
from sqlasync.codemods.core.family import Family, Recogniser
from sqlasync.codemods.core.rule import Rule

RENAME = Rule(code="T901", name="rename", family="test", summary="legacy_fetch() → modern_fetch()",
              why="test", before="legacy_fetch()\n", after="modern_fetch()\n", fixable=True)
BREAK = Rule(code="T902", name="break", family="test", summary="produces invalid code", why="test",
             before="breaks_here()\n", after="await breaks_here()\n", fixable=True)


class CallRecogniser(Recogniser):
    rules = {"T901": RENAME, "T902": BREAK}

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "legacy_fetch":
            self.report("T901", node, "legacy call", fixable=True)
        if isinstance(node.func, cst.Name) and node.func.value == "breaks_here":
            self.report("T902", node, "breaks", fixable=True)


def _rewrite(context, matches):
    targets = {id(m.node): m.rule.code for m in matches}

    class Rewriter(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            code = targets.get(id(original))
            if code == "T901":
                return updated.with_changes(func=cst.Name("modern_fetch"))
            if code == "T902":
                # `await` at module level: parses, but does not compile.
                return cst.Await(expression=updated)
            return updated

    return context.module.visit(Rewriter())


TEST_FAMILY = Family("T", "test", (RENAME, BREAK), CallRecogniser,
                     lambda config: ((rb"legacy_fetch|breaks_here",),), _rewrite)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(runner, "FAMILIES", (TEST_FAMILY,))
    monkeypatch.setattr(cli, "ALL_RULES", {"T901": RENAME, "T902": BREAK})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    return tmp_path


def test_rewrite_keeps_every_other_byte(project: Path) -> None:
    source = (
        b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\n"
        b"x = legacy_fetch( 1 ,2 )  # keep   this\r\n"
        b"\r\n"
        b"y = 'caf\xc3\xa9'\t# tabs stay\r\n"
        b"z = other()"
    )
    (project / "a.py").write_bytes(source)
    assert cli.main(["migrate", "a.py"]) == 0
    assert (project / "a.py").read_bytes() == source.replace(b"legacy_fetch", b"modern_fetch")


def test_declared_legacy_encoding_round_trips(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nname = 'Zoë'\nlegacy_fetch()\n".encode("latin-1")
    (project / "b.py").write_bytes(source)
    assert cli.main(["migrate", "b.py"]) == 0
    assert (project / "b.py").read_bytes() == source.replace(b"legacy_fetch", b"modern_fetch")


def test_second_run_is_a_no_op_and_permissions_are_kept(project: Path, capsys) -> None:
    target = project / "c.py"
    target.write_text("legacy_fetch()\n")
    os.chmod(target, 0o640)
    assert cli.main(["migrate", "."]) == 0
    assert target.read_text() == "modern_fetch()\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in project.iterdir() if "sqlasync-tmp" in p.name] == []
    capsys.readouterr()
    assert cli.main(["migrate", "."]) == 0
    assert "0 file(s) changed" in capsys.readouterr().out


def test_check_mode_reports_pending_changes(project: Path) -> None:
    (project / "d.py").write_text("legacy_fetch()\n")
    assert cli.main(["migrate", "--check", "."]) == 1
    assert (project / "d.py").read_text() == "legacy_fetch()\n"
    cli.main(["migrate", "."])
    assert cli.main(["migrate", "--check", "."]) == 0


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _init_repo(root: Path) -> None:
    _git(root, "init", "-q")
    _git(root, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "add", "-A")
    _git(root, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "base")


def test_diff_applies_with_git_apply(project: Path, capsysbinary) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "crlf.py").write_bytes(b"a = 1\r\nlegacy_fetch()\r\nb = 2\r\n")
    (project / "pkg" / "no_newline.py").write_bytes(b"a = 1\nlegacy_fetch()")
    (project / "pkg" / "bom.py").write_bytes(b"\xef\xbb\xbflegacy_fetch()\n")
    _init_repo(project)
    assert cli.main(["migrate", "--diff", "pkg"]) == 1
    patch = capsysbinary.readouterr().out
    (project / "change.patch").write_bytes(patch)
    _git(project, "apply", "--check", "change.patch")
    _git(project, "apply", "change.patch")
    assert (project / "pkg" / "crlf.py").read_bytes() == b"a = 1\r\nmodern_fetch()\r\nb = 2\r\n"
    assert (project / "pkg" / "no_newline.py").read_bytes() == b"a = 1\nmodern_fetch()"
    assert (project / "pkg" / "bom.py").read_bytes() == b"\xef\xbb\xbfmodern_fetch()\n"


def test_diff_of_a_symlinked_file_patches_its_target_and_applies(project: Path, capsysbinary) -> None:
    (project / "pkg" / "real").mkdir(parents=True)
    (project / "pkg" / "real" / "impl.py").write_bytes(b"legacy_fetch()\n")
    (project / "pkg" / "link.py").symlink_to("real/impl.py")
    _init_repo(project)
    assert cli.main(["migrate", "--diff", "pkg"]) == 1
    patch = capsysbinary.readouterr().out
    assert patch.startswith(b"diff --git a/pkg/real/impl.py b/pkg/real/impl.py\n"), patch
    (project / "change.patch").write_bytes(patch)
    _git(project, "apply", "change.patch")
    assert (project / "pkg" / "real" / "impl.py").read_bytes() == b"modern_fetch()\n"
    assert os.readlink(project / "pkg" / "link.py") == "real/impl.py"


def test_refuses_to_rewrite_dirty_files_unless_allowed(project: Path, capsys) -> None:
    target = project / "e.py"
    target.write_text("x = 1\n")
    _init_repo(project)
    target.write_text("x = 2\nlegacy_fetch()\n")
    assert cli.main(["migrate", "."]) == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert target.read_text() == "x = 2\nlegacy_fetch()\n"
    assert cli.main(["migrate", "--allow-dirty", "."]) == 0
    assert target.read_text() == "x = 2\nmodern_fetch()\n"


def test_invalid_rewrite_output_is_never_written(project: Path, capsys) -> None:
    target = project / "f.py"
    target.write_text("breaks_here()\nlegacy_fetch()\n")
    assert cli.main(["migrate", "."]) == 2
    assert target.read_text() == "breaks_here()\nlegacy_fetch()\n"
    assert "the rewrite produced invalid code" in capsys.readouterr().out


def test_temp_files_a_killed_run_left_are_removed_by_the_next(project: Path) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "untouched.py").write_text("x = 1\n")
    (project / "g.py").write_text("legacy_fetch()\n")
    # Named as a run with a pid no process can have writes them (2**22 is above Linux's largest pid).
    left = [project / "pkg" / f".untouched.py.{2**22 + 7}.0a1b2c3d.sqlasync-tmp",
            project / f".g.py.{2**22 + 7}.0a1b2c3d.sqlasync-tmp"]
    for path in left:
        path.write_text("half of a file")
    assert cli.main(["migrate", "."]) == 0
    assert [path for path in left if path.exists()] == []
    assert (project / "g.py").read_text() == "modern_fetch()\n"
