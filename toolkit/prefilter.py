"""A byte-level test that rules out files which cannot hold any finding, before LibCST parses them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlasync.codemods.core.family import Family

from .config import Config


class Prefilter:
    def __init__(self, config: Config, families: Sequence[Family],
                 extra: Sequence[tuple[bytes, ...]] = ()) -> None:
        groups = [*(group for family in families for group in family.triggers(config)), *extra]
        self._groups = [[re.compile(pattern) for pattern in group] for group in groups]

    def may_match(self, source: bytes) -> bool:
        # A NUL byte means the file is binary: let it through so that it is reported, not skipped.
        if b"\0" in source:
            return True
        return any(all(p.search(source) for p in group) for group in self._groups)
