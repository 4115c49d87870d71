"""`--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

Paths are relative URIs against `%SRCROOT%` (the folder check ran in, normally the checkout's
root), which is what upload-sarif expects. Under a baseline, new sites are errors and known ones
warnings, and `baselineState` says which is which.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from sqlasync.codemods.registry import RULES
from sqlasync.codemods.core.rule import Rule

from .. import __version__
from ..findings import Finding
from ..problems import PROBLEMS
from .model import NEW, Report, Site
from .rule_help import RULES_DOC_URL, rule_markdown, rule_text, rule_url

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "sqlasync/v1"


def all_rules() -> list[Rule]:
    return sorted([*RULES.values(), *PROBLEMS.values()], key=lambda r: r.code)


def render_sarif(report: Report, *, source_root: Path, show_suppressed: bool = False) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = [_result(site, index, report.baseline is not None) for site in report.sites]
    if show_suppressed:
        results.extend(_result(Site(f), index, False, suppressed=True) for f in report.suppressed)
    run = {
        "tool": {"driver": {
            "name": "sqlasync",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": RULES_DOC_URL,
            "rules": [_rule(rule) for rule in rules],
        }},
        "automationDetails": {"id": "sqlasync/"},
        "originalUriBaseIds": {SRCROOT: {"uri": source_root.resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"


def _rule(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": rule_text(rule), "markdown": rule_markdown(rule)},
        "helpUri": rule_url(rule),
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["sqlasync", rule.family, "fixable" if rule.fixable else "manual"],
                       "precision": "high"},
    }


def _result(site: Site, index: dict[str, int], with_baseline: bool, *, suppressed: bool = False) -> dict:
    finding = site.finding
    message = finding.message if finding.reason is None or finding.fixable else \
        f"{finding.message} (not fixed automatically: {finding.reason})"
    result = {
        "ruleId": finding.code,
        "level": "error" if site.baseline == NEW else "warning",
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(finding), "region": _region(finding)}}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"fixable": finding.fixable, "seenAtRuntime": bool(site.runtime)},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if with_baseline:
        result["baselineState"] = "new" if site.baseline == NEW else "unchanged"
    if suppressed:
        result["suppressions"] = [{"kind": "inSource"}]
    return result


def _artifact(finding: Finding) -> dict:
    path = PurePosixPath(finding.path)
    if path.is_absolute():
        return {"uri": Path(finding.path).as_uri()}
    return {"uri": quote(path.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict:
    return {"startLine": finding.line, "startColumn": finding.column,
            "endLine": max(finding.end_line, finding.line),
            "endColumn": finding.end_column if finding.end_line > finding.line else max(finding.end_column,
                                                                                          finding.column)}
