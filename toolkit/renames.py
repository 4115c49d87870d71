"""Git's rename map (`git diff --name-status -M`), so baseline entries follow moved files."""

from __future__ import annotations

import codecs
import re

# R<similarity>\t<old>\t<new>; copies (C...) are new code and are not renames.
_STATUS = re.compile(r"^[ACDMRTUXB]\d{0,3}\t")
_RENAME = re.compile(r"^R\d{0,3}\t(?P<old>[^\t]+)\t(?P<new>[^\t]+)$")


class RenameMapError(ValueError):
    pass


def parse_rename_map(text: str) -> dict[str, str]:
    """Old path -> new path, as git printed them (relative to where git ran)."""
    renames: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not _STATUS.match(line):
            raise RenameMapError(f"line {number}: not `git diff --name-status` output: {line!r}")
        match = _RENAME.match(line)
        if match:
            renames[_unquote(match.group("old"))] = _unquote(match.group("new"))
    return renames


def _unquote(path: str) -> str:
    """Git quotes unusual paths C-style: "caf\\303\\251.py"."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        raw = codecs.escape_decode(path[1:-1].encode("ascii", "backslashreplace"))[0]
        return raw.decode("utf-8", errors="surrogateescape")
    return path
