"""Written lines of a tab-indented file get tabs where the rewrites laid them out with spaces, and nothing else
changes: not a string's own lines, not an alignment, not a line the migration did not write."""

from __future__ import annotations

import libcst as cst

from sqlasync.codemods.core.tab_indentation import tabs_in_written_lines

TAB_FILE = (
    "def f(db):\n"
    "\treturn db.execute(\n"              # 2
    "\t    text(\n"                        # 3: a tab, then four spaces
    "\t        \"SELECT 1\"\n"             # 4
    "\t        \" FROM t\"\n"              # 5: a piece of a joined string starts a line
    "\t    ),\n"                           # 6
    "\t    '''\n"                          # 7: a string spanning lines starts here...
    "    inside the string\n"              # 8: ...its lines are its value
    "''',\n"                               # 9
    "\t  aligned,\n"                       # 10: fewer than four spaces align, they do not indent
    "\t)\n"
)


def _converted(code: str, written: set[int]) -> str:
    return tabs_in_written_lines(cst.parse_module(code), written).code


def test_leading_spaces_of_written_lines_become_tabs_and_strings_keep_their_lines() -> None:
    lines = _converted(TAB_FILE, set(range(1, 12))).splitlines()
    assert lines[2:7] == ["\t\ttext(", '\t\t\t"SELECT 1"', '\t\t\t" FROM t"', "\t\t),", "\t\t'''"]
    assert lines[7] == "    inside the string"
    assert lines[9] == "\t  aligned,"


def test_only_written_lines_change() -> None:
    lines = _converted(TAB_FILE, {3}).splitlines()
    assert lines[2] == "\t\ttext(" and lines[3] == '\t        "SELECT 1"'


def test_a_file_indented_with_spaces_is_left_as_it_is() -> None:
    spaces = TAB_FILE.replace("\treturn", "    return").replace("\t", "    ")
    assert _converted(spaces, set(range(1, 12))) == spaces
