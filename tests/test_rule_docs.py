"""Rule documentation doubles as tests: each `before` example is found, each fixable `after` is produced."""

from __future__ import annotations

import pytest

from sqlasync.analysis import analyse, migrate
from sqlasync.codemods.registry import FAMILIES, RULES
from sqlasync.config import Config
from sqlasync.selection import Selection

RULE_LIST = sorted(RULES.values(), key=lambda r: r.code)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.code)
def test_rule_is_documented(rule) -> None:
    assert rule.code[0] == next(f.prefix for f in FAMILIES if rule in f.rules)
    for text in (rule.name, rule.summary, rule.why, rule.before, rule.after):
        assert text.strip()
    assert rule.before.endswith("\n") and rule.after.endswith("\n")


@pytest.mark.parametrize("rule", [r for r in RULE_LIST if r.code != "E106"], ids=lambda r: r.code)
def test_before_example_is_recognised(rule, tmp_path) -> None:
    result = analyse(rule.before.encode(), rule.example_path, Config(root=tmp_path), FAMILIES, rule.example_target)
    assert rule.code in {f.code for f in result.findings}


def test_alembic_example_is_recognised_in_env_py(tmp_path) -> None:
    rule = RULES["E106"]
    result = analyse(rule.before.encode(), "migrations/env.py", Config(root=tmp_path), FAMILIES, "async")
    assert "E106" in {f.code for f in result.findings}


@pytest.mark.parametrize("rule", [r for r in RULE_LIST if r.fixable], ids=lambda r: r.code)
def test_fixable_example_migrates_to_after(rule, tmp_path) -> None:
    result = migrate(rule.before.encode(), rule.example_path, Config(root=tmp_path), FAMILIES,
                     Selection(select=(rule.code,)), rule.example_target)
    assert result.updated is not None and result.updated.decode() == rule.after
