"""Which files a run looks at: include/exclude globs, .gitignore files, and never a virtualenv."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .config import Config

SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", ".sqlasync_cache"}
)


class DiscoveryError(Exception):
    """A path named on the command line cannot be used."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str
    # Why the path could not be listed (a folder the run may not read); its report is a P002 finding.
    unreadable: str | None = None


def _spec(patterns: tuple[str, ...] | list[str]) -> pathspec.PathSpec:
    return pathspec.PathSpec.from_lines("gitignore", patterns)


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError, RuntimeError):  # outside root; or a symlink loop (RuntimeError before 3.13)
        return None


def _is_virtualenv(folder: Path) -> bool:
    try:
        return (folder / "pyvenv.cfg").is_file()
    except OSError:
        return False  # a folder that cannot be looked into is walked, and reported unreadable there


def _display(path: Path, cwd: Path) -> str:
    # abspath, not resolve(): a symlink is shown (and reported) under its own name.
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


def discover(paths: list[Path], config: Config) -> list[SourceFile]:
    """Every file to check under `paths`, sorted, each once.

    An exclude pattern that covers a path named explicitly is not applied below it, so
    `sqlasync check fixtures/` reports what the project's default run leaves out.
    """
    root = config.root.resolve()
    include = _spec(config.include)
    cwd = Path(os.path.abspath(Path.cwd()))
    found: dict[Path, SourceFile] = {}
    for given in paths or [Path.cwd()]:
        try:
            os.lstat(given)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise DiscoveryError(f"{given}: no such file or directory") from exc
        except OSError as exc:  # a folder on the way that may not be searched: reported, not fatal
            found.setdefault(given.absolute(), _source(given, cwd, f"cannot read: {exc.strerror}"))
            continue
        excludes = _excludes_below(given, config, root)
        if not os.path.isdir(given):
            resolved = given.resolve() if os.path.exists(given) else given.absolute()
            found.setdefault(resolved, _source(given, cwd))
            continue
        for candidate, real, unreadable in _walk(given, root, excludes):
            if real is None:  # a symbolic link or a folder that cannot be listed: resolved the slow way, as named
                resolved = candidate.resolve() if os.path.exists(candidate) else candidate.absolute()
                relative = _relative(candidate, root)
            else:
                resolved, relative = Path(real), _inside(real, str(root))
            if unreadable is None and not include.match_file(relative or candidate.name):
                continue
            found.setdefault(resolved, _source(candidate, cwd, unreadable))
    return sorted(found.values(), key=lambda f: f.display)


def _source(path: Path, cwd: Path, unreadable: str | None = None) -> SourceFile:
    """The file as a run takes it. A name that is not UTF-8 (latin-1 bytes from an old archive) cannot be a
    module's name, nor be written into a report or a cache key: the file is a P002 finding, shown with the
    odd bytes escaped (`caf\\xe9.py`)."""
    display = printable(_display(path, cwd))
    if display != _display(path, cwd):
        unreadable = unreadable or "cannot read: the file name is not valid UTF-8"
    return SourceFile(path, display, unreadable)


def printable(name: str) -> str:
    """A path as a run shows it: bytes that are not UTF-8 (decoded by Python as lone surrogates) escaped."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def _excludes_below(given: Path, config: Config, root: Path) -> pathspec.PathSpec:
    relative = _relative(given, root)
    if relative is None:
        return _spec(config.exclude)
    probe = f"{relative}/__probe__.py" if relative not in ("", ".") else "__probe__.py"
    kept = [p for p in config.exclude if not _spec([p]).match_file(probe) and not _spec([p]).match_file(relative)]
    return _spec(kept)


def _walk(top: Path, root: Path, excludes: pathspec.PathSpec) -> Iterator[tuple[Path, str | None, str | None]]:
    """The files under `top` that no exclude or .gitignore leaves out, each with its resolved path (None for a
    symbolic link) and None; and the folders that cannot be listed, each with None and the OS's reason.
    os.walk does not enter linked folders, so below `top`'s own resolved path every folder it walks is where
    it says it is: no file needs resolving (a realpath, one lstat per component) one at a time."""
    ignores = [(str(base), spec) for base, spec in _gitignores_above(top)]
    real_folders = {str(top): str(top.resolve())}
    refused: list[OSError] = []
    for folder, dirnames, filenames in os.walk(top, onerror=refused.append):
        while refused:
            yield from _refused_folder(refused.pop())
        here, real_here = Path(folder), real_folders[folder]
        gitignore = _read_gitignore(here / ".gitignore")
        if gitignore is not None:
            ignores.append((real_here, gitignore))
        kept = []
        for name in sorted(dirnames):
            path = here / name
            if name in SKIPPED_DIRS or _is_virtualenv(path):
                continue
            real = None if os.path.islink(path) else os.path.join(real_here, name)
            if not _ignored(path, real, ignores, excludes, root, is_dir=True):
                kept.append(name)
                real_folders[os.path.join(folder, name)] = real
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            real = None if os.path.islink(path) else os.path.join(real_here, name)
            if not _ignored(path, real, ignores, excludes, root, is_dir=False):
                yield path, real, None
    while refused:
        yield from _refused_folder(refused.pop())


def _refused_folder(error: OSError) -> Iterator[tuple[Path, None, str]]:
    if error.filename is not None:
        yield Path(error.filename), None, f"cannot list the folder: {error.strerror or error}"


def _read_gitignore(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        if not path.is_file():
            return None
        return pathspec.GitIgnoreSpec.from_lines(path.read_text(errors="replace").splitlines())
    except OSError:
        return None  # unreadable: its folder's files are still checked rather than silently dropped


def _gitignores_above(top: Path) -> list[tuple[Path, pathspec.PathSpec]]:
    """.gitignore files of the enclosing git work tree, from its top down to `top`'s parent."""
    top = top.resolve()
    chain = [top.parent, *top.parent.parents]
    work_tree = next((p for p in [top, *chain] if os.path.exists(p / ".git")), None)
    if work_tree is None or work_tree == top:
        return []
    specs = []
    for folder in reversed(chain[: chain.index(work_tree) + 1]):
        gitignore = _read_gitignore(folder / ".gitignore")
        if gitignore is not None:
            specs.append((folder, gitignore))
    return specs


def _ignored(path: Path, real: str | None, ignores, excludes: pathspec.PathSpec, root: Path, *,
             is_dir: bool) -> bool:
    """Whether an exclude or a .gitignore leaves `path` out; `real` is its resolved path, None to resolve it here."""
    suffix = "/" if is_dir else ""
    if real is None:
        resolved = _resolved(path)
        if resolved is None:  # a symlink loop: nothing to match, kept to be reported where it is read
            return False
        real = resolved
    relative = _inside(real, str(root))
    if relative is not None and excludes.match_file(relative + suffix):
        return True
    for base, spec in ignores:
        inner = _inside(real, base)
        if inner is not None and spec.match_file(inner + suffix):
            return True
    return False


def _resolved(path: Path) -> str | None:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before 3.13)
        return None


def _inside(real: str, base: str) -> str | None:
    """`real` relative to `base` (both resolved), as `_relative` gives it; None outside `base`."""
    if real == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    return real[len(prefix):].replace(os.sep, "/") if real.startswith(prefix) else None


def leave_out(files: list[SourceFile], patterns: list[str], root: Path) -> list[SourceFile]:
    """`files` without those gitignore-style `patterns` (relative to `root`) match. They leave this run's
    work only: the project around the run (what async coloring indexes) still holds them, as not migrated."""
    if not patterns:
        return files
    spec = _spec(patterns)
    return [file for file in files if (relative := _relative(file.path, root)) is None or not spec.match_file(relative)]

