"""Findings about a file itself rather than a legacy pattern in it (outside the rule families)."""

from __future__ import annotations

import traceback
from pathlib import Path

from sqlasync.codemods.core.rule import Rule

PARSE_ERROR = Rule(
    code="P001", name="syntax-error", family="file",
    summary="file does not parse as Python; nothing in it was checked",
    why="sqlasync only rewrites code it can parse completely. The file is left as it is; the run goes on.",
    before="def broken(:\n", after="def fixed():\n    ...\n",
)
UNREADABLE = Rule(
    code="P002", name="unreadable-file", family="file",
    summary="file cannot be read or decoded (binary, bad encoding, not a regular file, no permission, I/O error)",
    why="A file sqlasync cannot decode is never checked or written.",
    before="# a .py file holding binary data or undeclared latin-1 text\n",
    after="# -*- coding: latin-1 -*-\n",
)
INTERNAL_ERROR = Rule(
    code="P003", name="internal-error", family="file",
    summary="sqlasync itself failed on this file; the other files were still checked",
    why="A bug in a recogniser must not hide the findings of every other file. The run exits with status 2.",
    before="# any file that triggers a bug in sqlasync\n", after="# report it with the file attached\n",
)
CUT_BREAKS_USE = Rule(
    code="P004", name="cut-breaks-use", family="file",
    summary="`migrate` of the checked paths alone would break this use (`check --closure`)",
    why="A migration converts a definition only together with every use of it. When the checked paths are a "
        "part of the project, `migrate` of that part refuses (exit 2, nothing written) if code outside it uses "
        "what it converts; this finding names each such use and the file that must come along, so a CI report "
        "says what a cut needs before anyone runs it. In a function the migration must keep sync, it says why.",
    before="# sqlasync check --closure app/database.py\n# app/readiness.py: db.execute(...) on the factory it converts\n",
    after="# sqlasync migrate app/database.py app/readiness.py   (or --with-dependents)\n",
)
PROBLEMS = {rule.code: rule for rule in (PARSE_ERROR, UNREADABLE, INTERNAL_ERROR, CUT_BREAKS_USE)}


def describe_bug(exc: Exception) -> str:
    """One line for a bug in sqlasync: what was raised, and where."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"internal error ({type(exc).__name__}: {exc}{where}); please report it"
