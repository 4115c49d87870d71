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
from collections.abc import Callable, Iterable
from pathlib import Path

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


def import_targets(module_names: Iterable[str], origin: Path, stop: Path) -> set[Path]:
    """Files that `import <name>` from a file in `origin`'s folder may load, looked up in that folder and
    every folder above it up to `stop` (how `pythonpath = ["."]`-style layouts find their packages)."""
    found: set[Path] = set()
    folders = [origin.parent, *[p for p in origin.parent.parents if stop == p or stop in p.parents]]
    for name in module_names:
        parts = name.split(".")
        for folder in folders:
            for cut in range(len(parts), 0, -1):
                base = folder.joinpath(*parts[:cut])
                candidates = [base.with_suffix(".py"), base / "__init__.py"]
                hit = next((c for c in candidates if os.path.isfile(c)), None)
                if hit is not None:
                    found.add(hit)
                    # Importing a.b.c runs a/__init__.py and a/b/__init__.py too.
                    package = hit.parent if hit.name != "__init__.py" else hit.parent.parent
                    while os.path.isfile(package / "__init__.py") and package != folder.parent:
                        found.add(package / "__init__.py")
                        package = package.parent
                    break
            else:
                continue
            break
    return found


def expand(initial: Iterable[Path], imported_names: Callable[[Path], set[str]], stop: Path) -> set[Path]:
    """`initial` plus every file their imports reach, transitively."""
    files = {Path(p).absolute() for p in initial}
    frontier = set(files)
    for _ in range(MAX_IMPORT_ROUNDS):
        reached: set[Path] = set()
        for path in frontier:
            reached |= {p.absolute() for p in import_targets(imported_names(path), path, stop)}
        frontier = reached - files
        if not frontier:
            break
        files |= frontier
    return files


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file imports anywhere (`from .x import y` resolved), read with `ast`."""
    try:
        tree = ast.parse(read_source(Path(path)))
    except (OSError, SyntaxError, ValueError):
        return set()
    location = locate_module(Path(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = location.package.split(".") if location.package else []
                keep = len(package) - (node.level - 1)
                if keep < 0:
                    continue
                base = ".".join([*package[:keep], *([base] if base else [])])
            if base:
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names
