"""docs/ci.md stays true: its YAML parses, and the options and formats it names exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sqlasync.cli import main
from sqlasync.codemods.registry import RULES as ALL_RULES
from sqlasync.report import FORMATS
from sqlasync.report.rule_help import rule_url

DOC = (Path(__file__).resolve().parent.parent / "docs" / "ci.md").read_text(encoding="utf-8")
GIT_OPTIONS = {"--name-status", "--relative"}


def _help(capsys, *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


def test_yaml_examples_parse() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        assert yaml.safe_load(block)


def test_every_option_and_format_named_exists(capsys) -> None:
    helps = _help(capsys, "check") + _help(capsys, "migrate") + _help(capsys, "report", "merge")
    known = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", helps))
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", DOC)) - GIT_OPTIONS
    assert named <= known, named - known
    documented = set(re.findall(r"^\| `(\w+)`(?: \(default\))? \|", DOC, flags=re.M)) & set(FORMATS)
    assert documented == set(FORMATS)


def test_rules_reference_is_current_and_has_every_anchor_reports_link_to(capsys) -> None:
    assert main(["rules", "--format", "markdown"]) == 0
    generated = capsys.readouterr().out
    published = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert published == generated, "docs/rules.md is stale: sqlasync rules --format markdown > docs/rules.md"
    for rule in ALL_RULES.values():
        anchor = rule_url(rule).rpartition("#")[2]
        assert f'<a id="{anchor}"></a>' in published
        assert f"## {rule.code} {rule.name}\n" in published
