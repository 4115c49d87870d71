"""A rule's documentation as `sqlasync explain` prints it, and the stable address of its section."""

from __future__ import annotations

from sqlasync.codemods.rule import Rule

# Where docs/rules.md is published; each rule has a section whose anchor is its lower-cased code.
RULES_DOC_URL = "https://github.com/sqlasync/sqlasync/blob/main/docs/rules.md"


def rule_url(rule: Rule) -> str:
    return f"{RULES_DOC_URL}#{rule.code.lower()}"


def rule_markdown(rule: Rule) -> str:
    fix = "yes, `sqlasync migrate` rewrites it" if rule.fixable else "no, it is reported for manual work"
    return (
        f"# {rule.code} {rule.name}\n\n{rule.summary}\n\nFamily: {rule.family}. Fixable: {fix}.\n\n"
        f"## Why is this bad?\n{rule.why}\n\n"
        + (f"## What the fix does\n{rule.fix_notes}\n\n" if rule.fix_notes else "")
        + f"## Example\n```python\n{rule.before}```\n\n## Use instead\n```python\n{rule.after}```\n"
    )


def rule_text(rule: Rule) -> str:
    """Plain-text help for viewers that do not render markdown."""
    fix = "sqlasync migrate rewrites it." if rule.fixable else "Convert it by hand."
    return (f"{rule.summary}\n\n{rule.why}\n\n{fix}\n\nExample:\n{rule.before}\nUse instead:\n{rule.after}"
            + (f"\n{rule.fix_notes}\n" if rule.fix_notes else ""))
