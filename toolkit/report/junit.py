"""`--format junit`: one testsuite per file, one testcase per site (CI test-report widgets)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from ..findings import Finding
from .model import KNOWN, Report, Site

# XML 1.0 cannot carry most control characters, even escaped.
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\N{REPLACEMENT CHARACTER}", text)


def render_junit(report: Report, *, show_suppressed: bool = False) -> str:
    cases: list[tuple[Site, str | None]] = [
        (site, "known legacy site (in the baseline)" if site.baseline == KNOWN else None) for site in report.sites
    ]
    if show_suppressed:
        cases.extend((Site(f), "suppressed by a `# sqlasync: ignore` comment") for f in report.suppressed)
    cases.sort(key=lambda case: case[0].finding.sort_key())
    root = ET.Element("testsuites", name="sqlasync")
    for path, group in groupby(cases, key=lambda case: case[0].finding.path):
        _suite(root, path, list(group))
    if not cases:
        suite = ET.SubElement(root, "testsuite", name="sqlasync", tests="1", failures="0", skipped="0", errors="0")
        ET.SubElement(suite, "testcase", classname="sqlasync", name="no legacy database access")
    _count(root, root.findall("testsuite"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, path: str, cases: list[tuple[Site, str | None]]) -> None:
    suite = ET.SubElement(root, "testsuite", name=_clean(path))
    for site, skipped in cases:
        finding = site.finding
        case = ET.SubElement(suite, "testcase", classname=_clean(path),
                             name=f"{finding.code} at line {finding.line}, column {finding.column}",
                             file=_clean(path), line=str(finding.line))
        if skipped:
            ET.SubElement(case, "skipped", message=skipped)
        else:
            failure = ET.SubElement(case, "failure", type=finding.code, message=_clean(finding.message))
            failure.text = _clean(_details(finding))
    _count(suite, [suite])


def _details(finding: Finding) -> str:
    text = f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}"
    return f"{text}\n{finding.reason}" if finding.reason else text


def _count(element: ET.Element, suites: list[ET.Element]) -> None:
    cases = [case for suite in suites for case in suite.findall("testcase")]
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    element.set("skipped", str(sum(case.find("skipped") is not None for case in cases)))
    element.set("errors", "0")
