"""The order a migration campaign takes a project's files in: along the import graph, what the rest
depends on first (the database module, then the data access behind it, services, handlers), and each
test right after the code it imports.

A *unit* is what a batch is made of: one file (`--by file`) or one folder's files (`--by directory`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlasync.codemods.index.repo_index import locate_module
from sqlasync.codemods.index.repo_scope import ModuleFinder, modules_imported_by

UNIT_KINDS = ("file", "directory")


@dataclass(frozen=True)
class Unit:
    name: str                 # the file, or the folder (display paths)
    files: tuple[str, ...]    # its files with work left, display paths


def is_test(display: str) -> bool:
    path = PurePosixPath(display)
    return (path.name == "conftest.py" or path.name.startswith("test_") or path.stem.endswith("_test")
            or any(part in ("tests", "test") for part in path.parts[:-1]))


def units_of(files: Iterable[str], by: str) -> list[Unit]:
    """`files` grouped into units, sorted by name."""
    if by == "file":
        return [Unit(f, (f,)) for f in sorted(set(files))]
    grouped: dict[str, list[str]] = {}
    for file in files:
        grouped.setdefault(PurePosixPath(file).parent.as_posix(), []).append(file)
    return [Unit(folder, tuple(sorted(members))) for folder, members in sorted(grouped.items())]


def file_dependencies(files: Mapping[str, Path], sources: Mapping[str, bytes], root: Path) -> dict[str, set[str]]:
    """For each file (display path -> path on disk), the files among `files` its imports load."""
    by_path = {path.absolute(): display for display, path in files.items()}
    finder = ModuleFinder()
    dependencies = {}
    for display, path in files.items():
        names = modules_imported_by(sources.get(display, b""), locate_module(path).package)
        reached = finder.targets(names, path.absolute(), root.absolute())
        dependencies[display] = {by_path[p.absolute()] for p in reached if p.absolute() in by_path} - {display}
    return dependencies


def ordered(units: list[Unit], dependencies: Mapping[str, set[str]]) -> list[Unit]:
    """`units` with each after the units it imports, where cycles allow; among those ready, a test whose
    code is placed goes first (it belongs with that code), then code, then tests that import nothing of
    the project; ties by name. Deterministic: nothing but the names and the import graph decides."""
    owner = {file: unit.name for unit in units for file in unit.files}
    needs = {unit.name: {owner[d] for f in unit.files for d in dependencies.get(f, ()) if d in owner} - {unit.name}
             for unit in units}
    by_name = {unit.name: unit for unit in units}
    placed: list[Unit] = []
    done: set[str] = set()

    def priority(name: str) -> tuple[int, int, str]:
        test = all(is_test(f) for f in by_name[name].files)
        rank = (0 if needs[name] else 2) if test else 1
        return (rank, len(needs[name] - done), name)

    def alone(name: str) -> bool:
        return priority(name)[0] == 2

    while len(placed) < len(units):
        remaining = [name for name in by_name if name not in done]
        ready = [name for name in remaining if needs[name] <= done and not alone(name)]
        waiting = [name for name in remaining if not alone(name)]
        if ready:
            chosen = min(ready, key=priority)
        elif waiting:
            # An import cycle: nothing in it is ready; the unit with the fewest unplaced imports breaks it.
            chosen = min(waiting, key=lambda n: (len(needs[n] - done), n))
        else:
            chosen = min(remaining)
        placed.append(by_name[chosen])
        done.add(chosen)
    return placed
