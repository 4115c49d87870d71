"""A function's session is converted whole or not at all (Q101, async target).

When one `session.query(...)` of a function is left (a query built up and handed to a helper, say), the session
stays a sync `Session` there (S102 keeps its annotation, S101 leaves its other calls), so the function's other
queries on that session must stay sync too: awaited `session.execute(select(...))` on a sync session would
half-convert the function.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst
import libcst.matchers as m

from ..core.rule import Match

QUERY_CALL = m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("query")))


def whole_sessions(matches: list[Match], evidence) -> list[Match]:
    """`matches` with every fixable Q101 demoted whose function leaves another query on the same session name."""
    left: dict[tuple[int, str], str] = {}
    for match in matches:
        if match.rule.code == "Q101" and not match.fixable:
            for key in _sessions(match.node, evidence):
                left.setdefault(key, match.reason or "left")
    if not left:
        return matches
    kept = []
    for match in matches:
        blocking = next((key for key in _sessions(match.node, evidence) if key in left), None) \
            if match.rule.code == "Q101" and match.fixable else None
        if blocking is None:
            kept.append(match)
            continue
        kept.append(replace(match, fixable=False, data=None, reason=(
            f"another query on `{blocking[1]}` in this function is left ({left[blocking]}), so `{blocking[1]}` "
            "stays a sync Session here and this query with it")))
    return kept


def _sessions(node: cst.CSTNode, evidence) -> list[tuple[int, str]]:
    """(function, session name) of each `name.query(...)` in the chain `node`, inside a function."""
    if not isinstance(node, cst.BaseExpression):
        return []
    function = evidence.enclosing(node, cst.FunctionDef)
    if function is None:
        return []
    return [(id(function), call.func.value.value) for call in m.findall(node, QUERY_CALL)]
