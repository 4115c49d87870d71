"""docs/ci.md stays true: its YAML parses, and the options and formats it names exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sqlasync.cli import main
from sqlasync.report import FORMATS

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
    helps = _help(capsys, "check") + _help(capsys, "report", "merge")
    known = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", helps))
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", DOC)) - GIT_OPTIONS
    assert named <= known, named - known
    documented = set(re.findall(r"^\| `(\w+)`(?: \(default\))? \|", DOC, flags=re.M)) & set(FORMATS)
    assert documented == set(FORMATS)
