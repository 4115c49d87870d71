"""Unified diffs that `git apply` and `patch -p1` accept, in the file's own encoding."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(path: str, before: bytes, after: bytes, encoding: str) -> bytes:
    # A BOM belongs to the file's first line, not to the patch: keep it as a character.
    encoding = "utf-8" if encoding.lower().replace("_", "-") == "utf-8-sig" else encoding
    old = before.decode(encoding).splitlines(keepends=True)
    new = after.decode(encoding).splitlines(keepends=True)
    lines = [f"diff --git a/{path} b/{path}\n"]
    for line in difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", lineterm="\n"):
        if line.startswith(("---", "+++")):
            lines.append(line if line.endswith("\n") else line + "\n")
        elif line.endswith(("\n", "\r")):
            lines.append(line)
        else:
            lines.append(line + "\n" + NO_NEWLINE)
    return "".join(lines).encode(encoding)
