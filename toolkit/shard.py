"""`--shard K/N`: a deterministic slice of the files, the same on every machine.

A file belongs to the shard picked by a hash of its path relative to the project root, so the
slices do not depend on the checkout folder, the file system's listing order or the run's cwd.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SPEC.match(text)
        if match is None:
            raise ShardError(f"--shard expects K/N (e.g. 2/4), not {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= index <= count:
            raise ShardError(f"--shard {text}: K must be between 1 and N")
        return cls(index, count)

    def contains(self, relative_path: str) -> bool:
        digest = hashlib.sha256(relative_path.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
