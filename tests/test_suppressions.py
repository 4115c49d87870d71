"""`# sqlasync: ignore[...]` comments: parsing, scope (same statement or the next), warnings, caching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlasync.cli import main
from sqlasync.findings import Finding
from sqlasync.suppressions import parse_suppressions

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'

KNOWN = ("Q101", "Q102", "S101", "S102", "S103", "P001")


def _finding(code: str, line: int) -> Finding:
    return Finding(code, "m", "f.py", line, 1, line, 2, False, f"fp{code}{line}")


def _suppressed(source: str, *sites: tuple[str, int]) -> list[tuple[str, int]]:
    parsed = parse_suppressions(source.encode(), "f.py", KNOWN)
    _, suppressed = parsed.split([_finding(code, line) for code, line in sites])
    return [(f.code, f.line) for f in suppressed]


def test_trailing_comment_covers_its_line_only_for_the_listed_codes() -> None:
    source = "x = db.query(A).all()  # sqlasync: ignore[Q101]\ny = db.query(B).all()\n"
    assert _suppressed(source, ("Q101", 1), ("S101", 1), ("Q101", 2)) == [("Q101", 1)]


def test_own_line_comment_covers_the_next_statement() -> None:
    source = "# sqlasync: ignore[S102]\n\n# another comment\ndef f(db: Session):\n    db.commit()\n"
    assert _suppressed(source, ("S102", 4), ("S101", 5)) == [("S102", 4)]


def test_bare_ignore_covers_every_code() -> None:
    assert _suppressed("db.commit()  # sqlasync: ignore\n", ("S101", 1), ("S102", 1)) == [("S101", 1), ("S102", 1)]


def test_a_multi_line_statement_is_covered_from_its_end_or_from_inside() -> None:
    source = "jobs = (\n    db.query(Job)\n    .all()\n)  # sqlasync: ignore[Q101]\nother = db.query(A).all()\n"
    assert _suppressed(source, ("Q101", 2), ("Q101", 5)) == [("Q101", 2)]
    inside = "call(\n    db.query(A).all(),  # sqlasync: ignore[Q]\n)\n"
    assert _suppressed(inside, ("Q101", 2)) == [("Q101", 2)]


def test_a_block_header_comment_does_not_cover_the_block_body() -> None:
    source = "with db.begin():  # sqlasync: ignore[S103]\n    db.commit()\n"
    assert _suppressed(source, ("S103", 1), ("S101", 2)) == [("S103", 1)]


def test_ignore_file_covers_everything_and_may_name_codes() -> None:
    assert _suppressed("a = 1\n# sqlasync: ignore-file\nb = 2\n", ("Q101", 1), ("S101", 3)) == [("Q101", 1), ("S101", 3)]
    assert _suppressed("# sqlasync: ignore-file[S1]\nx = 1\n", ("S102", 9), ("Q101", 9)) == [("S102", 9)]


def test_prefixes_and_case_are_accepted() -> None:
    assert _suppressed("db.commit()  # SQLASYNC: Ignore[s, q1]\n", ("S101", 1), ("Q101", 1)) == [("S101", 1), ("Q101", 1)]


def test_unknown_codes_warn_and_the_known_ones_still_apply() -> None:
    parsed = parse_suppressions(b"x = db.query(A).all()  # sqlasync: ignore[Q101,S201]\n", "app/x.py", KNOWN)
    assert parsed.warnings == ["app/x.py:1: unknown rule code 'S201' in `# sqlasync: ignore[...]` (ignored)"]
    assert parsed.split([_finding("Q101", 1)])[1] == [_finding("Q101", 1)]


@pytest.mark.parametrize("comment, fragment", [
    ("# sqlasync: ignroe", "unknown sqlasync directive 'ignroe'"),
    ("# sqlasync: ignore[]", "empty code list"),
    ("# sqlasync: ignore[Z999]", "unknown rule code 'Z999'"),
])
def test_unusable_directives_warn_and_suppress_nothing(comment: str, fragment: str) -> None:
    parsed = parse_suppressions(f"db.commit()  {comment}\n".encode(), "f.py", KNOWN)
    assert len(parsed.warnings) == 1 and fragment in parsed.warnings[0]
    assert parsed.split([_finding("S101", 1)])[1] == []


def test_text_inside_a_string_is_not_a_directive() -> None:
    assert _suppressed('x = "# sqlasync: ignore"; db.commit()\n', ("S101", 1)) == []


def test_binary_content_has_no_suppressions() -> None:
    parsed = parse_suppressions(b"\x00# sqlasync: ignore-file\n", "f.py", KNOWN)
    assert parsed.ranges == [] and parsed.warnings == []


def test_a_file_cut_short_keeps_the_comments_before_the_error() -> None:
    source = "db.commit()  # sqlasync: ignore[S101]\nx = (\n"
    assert _suppressed(source, ("S101", 1)) == [("S101", 1)]


LEGACY = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):  # sqlasync: ignore[S102,S201]
    job = db.query(Job).filter(Job.id == job_id).first()
    # sqlasync: ignore
    db.commit()
    return job
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(LEGACY)
    (tmp_path / "app" / "broken.py").write_text("# sqlasync: ignore-file\ndef broken(:\n    db.query(Job).all()\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_leaves_suppressed_sites_out_of_the_count_and_the_exit_code(project: Path, capsys) -> None:
    assert main(["check", "--format", "json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["summary"]["by_code"] == {"Q101": 1}
    assert report["summary"]["suppressed"] == 3
    assert sorted((f["path"], f["code"]) for f in report["suppressed"]) == [
        ("app/broken.py", "P001"), ("app/dao.py", "S101"), ("app/dao.py", "S102")]
    assert "warning: app/dao.py:4: unknown rule code 'S201'" in captured.err
    (project / "app" / "dao.py").write_text(LEGACY.replace("    job = db.query", "    job = None  # "))
    assert main(["check"]) == 0


def test_show_suppressed_lists_them_and_the_cache_keeps_them(project: Path, capsys) -> None:
    cold = main(["check", "--show-suppressed"]), capsys.readouterr()
    warm = main(["check", "--show-suppressed"]), capsys.readouterr()
    assert cold[0] == warm[0] == 1 and cold[1].out == warm[1].out and cold[1].err == warm[1].err
    lines = cold[1].out.splitlines()
    assert "app/dao.py:7:5: S101 `db.commit()` is session I/O and must be awaited (annotated Session) [suppressed]" in lines
    assert "3 site(s) suppressed by `# sqlasync: ignore` comments." in lines
    assert "unknown rule code 'S201'" in warm[1].err


SUPPRESSED_QUERY = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
    return db.query(Job).filter(Job.id == job_id).first()  # sqlasync: ignore[Q101]


def count_jobs(db: Session):
    return db.query(Job).count()
"""


def test_migrate_leaves_suppressed_sites_as_they_are(project: Path, capsys) -> None:
    dao = project / "app" / "dao.py"
    dao.write_text(SUPPRESSED_QUERY)
    assert main(["migrate", "--select", "Q", "--target", "sync", "--allow-dirty", "app/dao.py"]) == 0
    migrated = dao.read_text()
    assert "    return db.query(Job).filter(Job.id == job_id).first()  # sqlasync: ignore[Q101]\n" in migrated
    assert "db.query(Job).count()" not in migrated and "select(" in migrated
    capsys.readouterr()
    assert main(["check", "--select", "Q", "--target", "sync", "--format", "json", "app/dao.py"]) == 0
    report = json.loads(capsys.readouterr().out)
    suppressed_line = next(n for n, line in enumerate(migrated.splitlines(), 1) if "sqlasync: ignore" in line)
    assert report["findings"] == [] and [f["line"] for f in report["suppressed"]] == [suppressed_line]
    assert main(["migrate", "--select", "Q", "--target", "sync", "--allow-dirty", "--check", "app/dao.py"]) == 0
