"""Every rule family, in the order `migrate` applies their rewrites."""

from __future__ import annotations

from .session import acquisition, safety, io as session_io
from .bootstrap import recogniser as bootstrap
from .coloring import recogniser as coloring
from .query import recogniser as query
from .raw_asyncpg import recogniser as raw_asyncpg
from .core.family import Family
from .core.rule import Rule

FAMILIES: tuple[Family, ...] = (
    query.FAMILY,
    acquisition.FAMILY,
    bootstrap.FAMILY,
    session_io.FAMILY,
    raw_asyncpg.FAMILY,
    safety.FAMILY,
    # Last: it makes async every function the rewrites above put an `await` into, and awaits its callers.
    coloring.FAMILY,
)
RULES: dict[str, Rule] = {rule.code: rule for family in FAMILIES for rule in family.rules}


def family_of(code: str) -> Family:
    return next(f for f in FAMILIES if f.prefix == code[0])
