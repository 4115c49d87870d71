"""The last step of a migration: what it wrote, laid out the way the project's own tools would lay it out.

New imports go where isort puts them (import_placement), signatures made async keep their continuation lines
aligned (signature_alignment), and lines the migration wrote past the project's line length are broken as black
breaks them (line_breaking), and in a file indented with tabs they are indented with tabs (tab_indentation).
Each step looks only at what the migration wrote: a line it did not write keeps its bytes.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import libcst as cst

from .import_placement import placed_as_isort_would
from .line_breaking import long_lines_broken
from .project_style import style_of
from .signature_alignment import signatures_realigned
from .tab_indentation import tabs_in_written_lines


def in_house_style(original: cst.Module, updated: cst.Module, root: Path) -> cst.Module:
    before = original.code
    if updated.code == before:
        return updated
    style = style_of(root)
    updated = placed_as_isort_would(original, updated, style.isort)
    written = written_lines(before, updated.code)
    lines = updated.code.splitlines()
    # Positions are worth computing only where a written line made a function async.
    if any(lines[number - 1].lstrip().startswith("async def ") for number in written):
        updated = signatures_realigned(updated, written)
        # The continuation lines it moved right are written lines too.
        written = written_lines(before, updated.code)
    updated = long_lines_broken(updated, written, style.line_length)
    if updated.default_indent != "\t":
        return updated
    # What black broke is written too; the comparison is redone only for the rare file indented with tabs.
    return tabs_in_written_lines(updated, written_lines(before, updated.code))


def written_lines(original: str, updated: str) -> set[int]:
    """The 1-based numbers of the lines of `updated` that are not lines of `original` kept in place."""
    before, after = original.splitlines(), updated.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return {index + 1 for tag, _, _, start, end in matcher.get_opcodes() if tag != "equal"
            for index in range(start, end)}
