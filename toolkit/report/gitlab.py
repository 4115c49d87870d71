"""`--format gitlab`: a GitLab Code Quality report (a JSON array of issues)."""

from __future__ import annotations

import hashlib
import json

from ..progress import FILE_FAMILY, family_of
from .model import NEW, Report, Site


def render_gitlab(report: Report) -> str:
    return json.dumps([_issue(site) for site in report.sites], indent=2, ensure_ascii=False) + "\n"


def _issue(site: Site) -> dict:
    finding = site.finding
    return {
        "description": f"{finding.code}: {finding.message}",
        "check_name": finding.code,
        # GitLab needs one fingerprint per issue; ours leaves the path out so moves keep baselines.
        "fingerprint": hashlib.sha256(f"{finding.path}\0{finding.fingerprint}".encode()).hexdigest()[:32],
        "severity": _severity(site),
        "categories": ["Compatibility"],
        "location": {"path": finding.path, "lines": {"begin": finding.line, "end": max(finding.end_line, finding.line)}},
    }


def _severity(site: Site) -> str:
    if family_of(site.finding.code) == FILE_FAMILY:
        return "critical"  # the file was not checked at all
    return "major" if site.baseline == NEW else "minor"
