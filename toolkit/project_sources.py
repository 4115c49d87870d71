"""Project facts every file of a run must agree on: where the session factory and `get_db` live, when
`[tool.sqlasync]` does not say, and which service-locator keys keep their registration.

D102 turns `Container.resolve("db_session")` into `async with SessionLocal() as db:` or a
`Depends(get_db)` parameter in files that import neither. The project's own definitions answer where
to import them from: the one module (outside the tests) that binds a configured session factory name
to `sessionmaker(...)`/`async_sessionmaker(...)` at module level, and the one that defines a
`get_db`-named function. A project whose container hands out sessions may have no `get_db` at all:
then it is to be written next to a sync session factory (E102 adds it there, see `get-db`), and is
imported from there. Several candidates, or none, leave the setting unset (the sites keep their reason).
Every file of the run sees the same answer, so `check`, the coloring's prediction and `migrate` agree.

`Container.register_factory("db_session", ...)` may only go (D104) when no `Container.resolve("db_session")`
stays: a resolve D102 leaves alone (or that this run does not select or a comment suppresses) would fail at
run time without it. Which ones stay is D102's own decision, taken here the way the coloring's prediction
takes it (every function that nothing local forbids may become async).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path, PurePosixPath

import libcst as cst

from sqlasync.codemods.session.acquisition import FAMILY as ACQUISITION
from sqlasync.prediction import PredictionView
from sqlasync.codemods.core.nodes import string_value
from sqlasync.codemods.core.family import FileContext
from sqlasync.codemods.index.repo_index import locate_module, scan_module
from sqlasync.codemods.index.repo_scope import source_roots

from . import __version__
from .analysis import to_findings
from .config import Config
from .discovery import SourceFile, discover
from .keyed_cache import KeyedCache
from .selection import Selection
from .source import read_source
from .suppressions import parse_suppressions

_FACTORY = rb"^(%s)\s*(?::[^=\n]*)?=\s*(?:[\w.]+\.)?(async_)?sessionmaker\s*\("
_FUNCTION = rb"^(?:async\s+)?def\s+(%s)\s*\("
_RESOLVE = rb"\.resolve\s*\(\s*[\"'](%s)[\"']"
_SCOPED_REGISTRY = re.compile(rb"^(\w+)\s*(?::[^=\n]*)?=\s*(?:[\w.]+\.)?scoped_session\s*\(", re.M)


def with_project_sources(config: Config, files: Iterable[SourceFile], selection: Selection | None = None,
                         use_cache: bool = False) -> Config:
    """`config` with `session-factory` and `get-db` filled in from the project when they are unset, and the
    service-locator keys whose registration must stay (D102's decisions kept in the cache folder with
    `use_cache`: they cost LibCST and its metadata on every file that resolves a session key)."""
    # realpath, not resolve(): a symlink loop among the files is reported unreadable, not raised here.
    project = {Path(os.path.realpath(file.path)): file for file in files}
    run = set(project)
    for root in source_roots(file.path for file in list(project.values())):
        project.update({Path(os.path.realpath(file.path)): file for file in discover([root], config)})
    contents = {}
    for path in sorted(project):
        try:
            contents[path] = read_source(path)
        except OSError:
            continue
    config = _sources(config, contents)
    # Keyed by everything D102's decision reads: the settings just derived, whether D102 is selected, the version.
    kept = KeyedCache(config.root / config.cache_dir if use_cache else None, "kept_resolves.json", "\0".join(
        (__version__, config.fingerprint(), str(selection is None or "D102" in selection))))
    held = _held_keys(config, contents, selection, run, kept)
    kept.save()
    return replace(config, held_container_keys=held, scoped_registries=_scoped_registries(contents))


def _scoped_registries(contents: dict[Path, bytes]) -> tuple[str, ...]:
    """`package.module.Name` of every module-level `Name = scoped_session(...)` of the project, tests included
    (a test suite's registry is what its factories and its session fixture share)."""
    found = set()
    for path, content in contents.items():
        module = locate_module(path).module
        found |= {f"{module}.{match.decode()}" for match in _SCOPED_REGISTRY.findall(content)}
    return tuple(sorted(found))


def _sources(config: Config, contents: dict[Path, bytes]) -> Config:
    if config.get_db and config.session_factory:
        return config
    factories: set[tuple[str, str, bool]] = set()
    functions: set[tuple[str, str]] = set()
    resolved = False
    factory_pattern = re.compile(_FACTORY % _alternatives(config.session_factories), re.M)
    function_pattern = re.compile(_FUNCTION % _alternatives(config.get_db_names), re.M)
    resolve_pattern = re.compile(_RESOLVE % _alternatives(config.container_session_keys))
    for path, content in contents.items():
        resolved = resolved or bool(resolve_pattern.search(content))
        if _is_test(path, config.root):
            continue
        module = locate_module(path).module
        factories |= {(module, match[1].decode(), not match[2]) for match in factory_pattern.finditer(content)}
        functions |= {(module, match[1].decode()) for match in function_pattern.finditer(content)}
    session_factory = config.session_factory
    if session_factory is None and len(factories) == 1:
        module, name, _ = next(iter(factories))
        session_factory = f"{module}:{name}"
    get_db = config.get_db
    if get_db is None and len(functions) == 1:
        module, name = next(iter(functions))
        get_db = f"{module}:{name}"
    elif get_db is None and not functions and resolved and len(factories) == 1 and next(iter(factories))[2]:
        get_db = f"{next(iter(factories))[0]}:{config.get_db_names[0]}"
    return replace(config, session_factory=session_factory, get_db=get_db)


def _held_keys(config: Config, contents: dict[Path, bytes], selection: Selection | None,
               run: set[Path], kept: KeyedCache) -> tuple[str, ...]:
    """Keys whose registration must stay: resolved in a file outside the run, or by a resolve D102 leaves."""
    pattern = re.compile(_RESOLVE % _alternatives(config.container_session_keys))
    held: set[str] = set()
    for path, content in contents.items():
        if path not in run:
            held |= {key.decode() for key in pattern.findall(content)}
        elif pattern.search(content):
            # The file's own path is part of the key: FileContext judges it (a test file?) by that path. Relative
            # to the root, so that a copy of the project in another folder finds the same entries.
            held |= set(kept.value(os.path.relpath(path, os.path.realpath(config.root)), content,
                                   partial(_kept_resolves, config, path, content, selection)))
    return tuple(sorted(held))


def _kept_resolves(config: Config, path: Path, content: bytes, selection: Selection | None) -> list[str]:
    """The keys of the resolves in this file that D102 leaves as they are, sorted (as the cache keeps them)."""
    try:
        module = cst.parse_module(content)
    except (cst.ParserSyntaxError, RecursionError):
        return sorted(config.container_session_keys)
    display = path.as_posix()
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    context = FileContext(PurePosixPath(display), config, wrapper, config.target)
    context.coloring = PredictionView(scan_module(wrapper, display, locate_module(path), context.evidence), True)
    recogniser = ACQUISITION.recogniser(context)
    wrapper.visit_batched([recogniser])
    suppressions = parse_suppressions(content, display, {rule.code for rule in ACQUISITION.rules})
    selected = selection is None or "D102" in selection
    kept = set()
    for match in recogniser.matches:
        if match.rule.code != "D102":
            continue
        _, suppressed = suppressions.split(to_findings(context, [match]))
        if not (match.fixable and selected) or suppressed:
            kept.add(string_value(match.node.args[0].value) or "")
    return sorted(kept)

def _alternatives(names: Iterable[str]) -> bytes:
    return b"|".join(re.escape(name.encode()) for name in names)


def _is_test(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root.resolve()).parts
    except ValueError:
        parts = path.parts
    return path.name == "conftest.py" or path.name.startswith("test_") or "tests" in parts
