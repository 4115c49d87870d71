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


def on_disk_line(before: bytes, after: bytes, line: int, column: int) -> tuple[int, int]:
    """Where `line`:`column` of `after` is in `before`: the same place on a line the change kept; on a line
    it rewrote, the corresponding line of the rewritten block (its last when the block grew), column kept
    within that line."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if new_start <= line - 1 < new_end:
            if tag == "equal":
                return old_start + (line - 1 - new_start) + 1, column
            if old_end == old_start:  # only inserted: the line before the insertion
                target = max(old_start - 1, 0)
            else:
                target = min(old_start + (line - 1 - new_start), old_end - 1)
            width = len(old[target]) + 1 if target < len(old) else 1
            return target + 1, min(column, width)
    return line, column


def changed_lines(before: bytes, after: bytes) -> int:
    """Lines a reviewer reads in the diff from `before` to `after`: those removed plus those added."""
    old = before.decode("utf-8", "surrogateescape").splitlines()
    new = after.decode("utf-8", "surrogateescape").splitlines()
    return sum(1 for line in difflib.unified_diff(old, new, lineterm="", n=0)
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))
