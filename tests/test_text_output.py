"""Text output like ruff's: `full` shows each finding's source line with carets under its span (the default on
a terminal), `concise` keeps one line per finding (the default when piped), colour only where it is wanted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sqlasync.check_command import text_style
from sqlasync.cli import main
from sqlasync.findings import Finding
from sqlasync.report.colour import Palette, colour_wanted
from sqlasync.report.snippets import SourceLines, snippet

LEGACY = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
\tjob = db.query(Job).filter(Job.id == job_id).first()
\treturn job
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n")
    (tmp_path / "dao.py").write_text(LEGACY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def test_full_shows_the_source_line_and_carets_under_the_span(project: Path, capsys) -> None:
    assert main(["check", "--format", "full", "--select", "Q101"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:5] == [
        "dao.py:5:8: Q101 legacy Query API `db.query(...)...first()` (annotated Session)",
        "  |",
        "5 |         job = db.query(Job).filter(Job.id == job_id).first()",
        # The tab is expanded before the carets too, so they stay under `db.query(...)...first()`.
        "  |               " + "^" * len("db.query(Job).filter(Job.id == job_id).first()"),
        "",
    ]
    assert out[-1].startswith("Found 1 finding(s)")


def test_concise_and_piped_text_keep_one_line_per_finding(project: Path, capsys) -> None:
    main(["check", "--output-format", "concise", "--select", "Q101"])
    concise = capsys.readouterr().out
    main(["check", "--select", "Q101"])  # capsys is not a terminal: text is concise
    assert capsys.readouterr().out == concise
    assert concise.splitlines()[0].startswith("dao.py:5:8: Q101 ") and "|" not in concise
    assert "\x1b[" not in concise


def test_text_is_full_only_on_a_terminal() -> None:
    assert text_style("text", on_terminal=True) == "full"
    assert text_style("text", on_terminal=False) == "concise"
    assert text_style("concise", on_terminal=True) == "concise"
    assert text_style("json", on_terminal=True) == "json"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("environ", "terminal", "wanted"), [
    ({}, True, True), ({}, False, False),
    ({"NO_COLOR": "1"}, True, False), ({"FORCE_COLOR": "1"}, False, True),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False), ({"NO_COLOR": ""}, True, True),
])
def test_colour_follows_no_color_force_color_and_the_terminal(environ: dict, terminal: bool, wanted: bool) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    assert colour_wanted(stream, environ) is wanted


def test_forced_colour_paints_location_code_and_carets(project: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    main(["check", "--format", "full", "--select", "Q101"])
    first, _, line, carets = capsys.readouterr().out.splitlines()[:4]
    assert first.startswith("\x1b[1mdao.py:5:8:\x1b[0m \x1b[1;31mQ101\x1b[0m ")
    assert "\x1b[1;31m^^^" in carets and line.endswith("first()")


def _finding(path: str, line: int, column: int, end_line: int, end_column: int) -> Finding:
    return Finding("Q101", "m", path, line, column, end_line, end_column, True, "f")


def test_snippet_of_a_span_over_several_lines_underlines_the_rest_of_its_first(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = (\n    db.query(Job)\n    .all()\n)\n")
    lines = snippet(_finding("a.py", 1, 5, 4, 2), SourceLines(tmp_path), Palette())
    assert lines[1:] == ["1 | x = (", "  |     ^"]


def test_snippet_decodes_as_python_does_and_is_left_out_when_the_file_is_gone(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes("# -*- coding: latin-1 -*-\nname = 'café'; db.query(A)\n".encode("latin-1"))
    sources = SourceLines(tmp_path)
    assert snippet(_finding("latin.py", 2, 16, 2, 27), sources, Palette())[1] == "2 | name = 'café'; db.query(A)"
    assert snippet(_finding("gone.py", 1, 1, 1, 2), sources, Palette()) == []
    assert snippet(_finding("latin.py", 9, 1, 9, 2), sources, Palette()) == []
