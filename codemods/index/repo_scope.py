"""Which files the repository index reads: the Python source roots of the files being migrated, and
every file their imports lead to.

A source root is the folder that holds a file's top-level package (`fixtures/jobs_api` for
`fixtures/jobs_api/app/services/jobs.py`), or the file's own folder for a top-level module. Code
that calls into a package lives under the same source root as the package in any project laid out
for its own imports; code elsewhere under the config root (a second application in a monorepo, the
tool's own sources) cannot reach it, so reading it would only cost time.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlasync.keyed_cache import KeyedCache
from sqlasync.source import read_source

from .repo_index import locate_module

MAX_IMPORT_ROUNDS = 8


def source_roots(paths: Iterable[Path]) -> list[Path]:
    """The distinct source roots of `paths`, outermost first, each once (roots inside another dropped)."""
    roots = sorted({Path(locate_module(Path(p)).source_root) for p in paths}, key=lambda p: (len(p.parts), str(p)))
    kept: list[Path] = []
    for root in roots:
        if not any(root == k or k in root.parents for k in kept):
            kept.append(root)
    return kept


class ModuleFinder:
    """The files an import loads, as found from a file's folder. Each folder is listed once and what each
    (folder, module name) loads is remembered: the files of a project import the same names, and most of
    them (the standard library's, third-party packages') from no folder of the project."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._loaded: dict[tuple[str, str], frozenset[Path] | None] = {}

    def targets(self, module_names: Iterable[str], origin: Path, stop: Path) -> set[Path]:
        """Files that `import <name>` from a file in `origin`'s folder may load, looked up in that folder and
        every folder above it up to `stop` (how `pythonpath = ["."]`-style layouts find their packages)."""
        found: set[Path] = set()
        above = [p for p in origin.parent.parents if stop == p or stop in p.parents]
        folders = [str(f) for f in [origin.parent, *above]]
        for name in module_names:
            for folder in folders:
                if (folder, name) not in self._loaded:
                    self._loaded[(folder, name)] = self._loaded_from(folder, name)
                loaded = self._loaded[(folder, name)]
                if loaded is not None:
                    found |= loaded
                    break
        return found

    def _loaded_from(self, folder: str, name: str) -> frozenset[Path] | None:
        """The files `import <name>` runs when `folder` is on the path (None: it finds nothing there)."""
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            parent = self._subfolder(folder, parts[:cut - 1])
            if parent is None:
                continue
            files, folders = self._listing(parent)
            last = parts[cut - 1]
            if f"{last}.py" in files:
                hit = os.path.join(parent, f"{last}.py")
            elif last in folders and "__init__.py" in self._listing(os.path.join(parent, last))[0]:
                hit = os.path.join(parent, last, "__init__.py")
            else:
                continue
            loaded = {hit}
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py too.
            package = os.path.dirname(hit) if os.path.basename(hit) != "__init__.py" else os.path.dirname(
                os.path.dirname(hit))
            while "__init__.py" in self._listing(package)[0] and package != os.path.dirname(folder):
                loaded.add(os.path.join(package, "__init__.py"))
                package = os.path.dirname(package)
            return frozenset(Path(p) for p in loaded)
        return None

    def _subfolder(self, folder: str, parts: list[str]) -> str | None:
        for part in parts:
            if part not in self._listing(folder)[1]:
                return None
            folder = os.path.join(folder, part)
        return folder

    def _listing(self, folder: str) -> tuple[frozenset[str], frozenset[str]]:
        """The names of the files and of the folders in `folder` (symbolic links followed, as imports do)."""
        if folder not in self._entries:
            try:
                with os.scandir(folder) as entries:
                    listed = list(entries)
            except OSError:
                listed = []
            self._entries[folder] = (frozenset(e.name for e in listed if _entry_is(e, os.DirEntry.is_file)),
                                     frozenset(e.name for e in listed if _entry_is(e, os.DirEntry.is_dir)))
        return self._entries[folder]


def _entry_is(entry: os.DirEntry, kind: Callable[[os.DirEntry], bool]) -> bool:
    """`kind(entry)`, False where following its link fails (a symlink loop raises ELOOP): an import cannot
    load it either, and the file itself is reported unreadable where it is read."""
    try:
        return kind(entry)
    except OSError:
        return False


def expand(initial: Iterable[Path], imported_names: Callable[[Path], set[str]], stop: Path) -> set[Path]:
    """`initial` plus every file their imports reach, transitively."""
    files = {Path(p).absolute() for p in initial}
    frontier = set(files)
    finder = ModuleFinder()
    for _ in range(MAX_IMPORT_ROUNDS):
        reached: set[Path] = set()
        for path in frontier:
            reached |= {p.absolute() for p in finder.targets(imported_names(path), path, stop)}
        frontier = reached - files
        if not frontier:
            break
        files |= frontier
    return files


def modules_imported_by(source: bytes, package: str) -> set[str]:
    """Absolute names of the modules `source`, a module of `package`, imports anywhere (`from .x import y`
    resolved), read with `ast`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):  # RecursionError: nested past what Python compiles
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                if keep < 0:
                    continue
                base = ".".join([*parts[:keep], *([base] if base else [])])
            if base:
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


class ImportCache:
    """What each file imports, kept on disk (one JSON file) by content and package: a run over unchanged
    files parses none of them to find the import closure. Without a folder, nothing is kept."""

    FORMAT = 2

    def __init__(self, folder: Path | None) -> None:
        # The Python version too: a file this one cannot parse (no imports found) may parse on the next.
        self._cache = KeyedCache(folder, "imports.json", f"{self.FORMAT}\0{sys.version_info[:2]}")

    def imported_modules(self, path: Path) -> set[str]:
        try:
            source = read_source(Path(path))  # regular files only: a FIFO would block a plain read for ever
        except OSError:
            return set()
        package = locate_module(Path(path)).package
        return set(self._cache.value(package, source, lambda: sorted(modules_imported_by(source, package))))

    def save(self) -> None:
        self._cache.save()
