"""Where the imports a migration adds go: the place isort, configured as the project configures it, would give them.

Rewrites add imports through LibCST, which appends them after the module's last import. Once every family has
run, each import line none of whose names the file imported before is taken out and put back into its import
block where isort would put it: in its section (future, standard library, third party, first party, local folder, as
isort places the module), in isort's order within the section (plain `import` before `from` unless the project
sorts them together or puts `from` first), a blank line (or what `lines_between_types` asks) between sections.
isort itself only decides the section and the sort key; the user's own imports are not reordered, rewrapped or
moved, whatever order they are in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import isort
import libcst as cst
from isort.sorting import module_key, section_key

from .nodes import dotted_name


def placed_as_isort_would(original: cst.Module, updated: cst.Module, config: isort.Config) -> cst.Module:
    before = {origin for statement in original.body for origin in _origins(statement)}
    body: list[cst.BaseStatement] = []
    new: list[tuple[int, cst.SimpleStatementLine]] = []  # each with where it was among the other statements
    # The lines above a block whose first imports were the migration's stay above the block.
    # So do the blank line and comments above a line the migration replaced inside a block: the import after it
    # takes them over, or the sections it separated would run together.
    heading: Sequence[cst.EmptyLine] | None = None
    opened_block = False
    for statement in updated.body:
        if _origins(statement) and not _origins(statement) & before:
            if heading is None:
                opened_block = not (body and _origins(body[-1]))
                heading = statement.leading_lines if opened_block or statement.leading_lines else None
            new.append((len(body), statement))
            continue
        if heading is not None and _origins(statement):
            lines = heading if opened_block else _joined(heading, statement.leading_lines)
            statement = statement.with_changes(leading_lines=lines)
        heading = None
        body.append(statement)
    for number, (anchor, statement) in enumerate(new):
        body, position = _inserted(body, anchor, statement, config)
        new[number + 1:] = [(later + (position <= later), s) for later, s in new[number + 1:]]
    return updated.with_changes(body=body) if new else updated


def _inserted(body: list[cst.BaseStatement], index: int, statement: cst.SimpleStatementLine,
              config: isort.Config) -> tuple[list[cst.BaseStatement], int]:
    """`body` with `statement` inserted in the import block at or just before `index`, and where it went."""
    block = _import_block_around(body, index)
    if not block:
        # The file's first import, where the rewrite put it (after the docstring): set apart from the docstring
        # above and from the code below as isort sets its import block apart.
        lines = statement.leading_lines or ([cst.EmptyLine()] if index else [])
        first = statement.with_changes(leading_lines=lines)
        return [*body[:index], first, *_spaced_from_imports(body[index:], config)], index
    statement = statement.with_changes(leading_lines=[])
    rank = _rank(statement, config)
    same_section = [i for i in block if _rank(body[i], config)[0] == rank[0]]
    if same_section:
        preceding = [i for i in same_section if _rank(body[i], config) <= rank]
        if preceding:
            after = max(preceding)
            gap = config.lines_between_types if _rank(body[after], config)[1] != rank[1] else 0
            return _after(body, after, statement, gap)
        first = min(same_section)
        gap = config.lines_between_types if _rank(body[first], config)[1] != rank[1] else 0
        return _before(body, first, statement, gap)
    earlier = [i for i in block if _rank(body[i], config)[0] < rank[0]]
    if earlier:
        return _after(body, max(earlier), statement, config.lines_between_sections)
    return _before(body, block[0], statement, config.lines_between_sections)


def _joined(heading: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The lines above a removed import, then the following import's own, with no blank line doubled."""
    lines = list(heading)
    for line in own:
        if not (line.comment is None and lines and lines[-1].comment is None):
            lines.append(line)
    return lines


def _after(body: list, index: int, statement: cst.SimpleStatementLine, gap: int) -> tuple[list, int]:
    spaced = statement.with_changes(leading_lines=[cst.EmptyLine()] * gap)
    return [*body[:index + 1], spaced, *body[index + 1:]], index + 1


def _before(body: list, index: int, statement: cst.SimpleStatementLine, gap: int) -> tuple[list, int]:
    """The new import takes over the comments and blank lines above the one it now precedes."""
    moved = statement.with_changes(leading_lines=body[index].leading_lines)
    following = body[index].with_changes(leading_lines=[cst.EmptyLine()] * gap)
    return [*body[:index], moved, following, *body[index + 1:]], index


def _spaced_from_imports(rest: list, config: isort.Config) -> list:
    if not rest:
        return rest
    following = rest[0]
    wanted = config.lines_after_imports if config.lines_after_imports >= 0 else (
        2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1)
    lines = list(following.leading_lines)
    blanks = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
    lines = [cst.EmptyLine()] * max(wanted - blanks, 0) + lines
    return [following.with_changes(leading_lines=lines), *rest[1:]]


def _import_block_around(body: Sequence[cst.BaseStatement], index: int) -> list[int]:
    """The indexes of the run of import lines that `index` is in or just after (isort sorts each run apart)."""
    start = index
    while start > 0 and _origins(body[start - 1]):
        start -= 1
    end = index
    while end < len(body) and _origins(body[end]):
        end += 1
    return list(range(start, end))


def _rank(statement: cst.BaseStatement, config: isort.Config) -> tuple:
    """(section, kind, module key, first name's key): isort's order of two import lines of one block."""
    node = statement.body[0]
    straight = isinstance(node, cst.Import)
    module = _module(node)
    section = isort.place_module(module, config=config)
    section_index = 0 if config.no_sections else (
        config.sections.index(section) if section in config.sections else len(config.sections))
    if config.force_sort_within_sections:
        return section_index, 0, _natural(section_key(_code(statement), config))
    kind = int(straight) if config.from_first else int(not straight)
    key = module_key(module, config, section_name=section, straight_import=straight,
                     ignore_case=config.force_alphabetical_sort_within_sections)
    # Lines importing from one module (an `as` import is a line of its own) go by the first name each imports.
    first = "" if straight else _first_name(node)
    return section_index, kind, _natural(key), _natural(module_key(first, config, sub_imports=True,
                                                                   section_name=section))


def _origins(statement: cst.CSTNode) -> frozenset[tuple[bool, str, str]]:
    """(plain import?, module, name as imported) of each name an import-only line imports; empty for any other
    statement. A line is the migration's when none of its names was imported so before: a line it only added
    names to stays where the user put it."""
    if not isinstance(statement, cst.SimpleStatementLine) or not all(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
        return frozenset()
    return frozenset((isinstance(small, cst.Import), _module(small), _imported(alias))
                     for small in statement.body
                     for alias in (small.names if not isinstance(small.names, cst.ImportStar) else [None]))


def _first_name(node: cst.ImportFrom) -> str:
    return "*" if isinstance(node.names, cst.ImportStar) else node.names[0].evaluated_name


def _imported(alias: cst.ImportAlias | None) -> str:
    if alias is None:
        return "*"
    return f"{alias.evaluated_name} as {alias.evaluated_alias}" if alias.asname is not None else alias.evaluated_name


def _module(node: cst.Import | cst.ImportFrom) -> str:
    if isinstance(node, cst.Import):
        return dotted_name(node.names[0].name)
    dots = "." * len(node.relative)
    return dots + (dotted_name(node.module) if node.module is not None else "")


def _code(statement: cst.SimpleStatementLine) -> str:
    return cst.Module(body=[statement.with_changes(leading_lines=[])]).code.strip()


def _natural(text: str) -> list:
    """isort's natural order: `v2` before `v10`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
