"""The repository-wide index async coloring needs: every module's facts, and what their names mean.

Built once per `check`/`migrate` run over the whole project (the config root) plus the files the run
was given, so a call in one module resolves to a definition in another through `import x`,
`from x import y as z`, package re-exports, module attributes, classes and their bases, `self`,
annotations, constructors in scope and pytest fixtures.

Each file is summarised on its own (in parallel, see `summarise`): its facts are taken from the
module as the other families would leave it (their rewrites run in a *prediction* mode where every
function that may become async is assumed to), and the functions those rewrites put an `await` into
are the *seeds* of the coloring. `coloring/solve.py` then decides, for the whole repository, which
functions become async.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import libcst as cst
from libcst.metadata import PositionProvider

from ..core.functions import qualname_of
from .facts import ClassFacts, Expr, FunctionFacts, ModuleFacts
from .scan import ModuleScanner
from .scan_nodes import own_nodes
from . import callables as coloring_callables
from .registration import LOOP_DRIVER as coloring_loop_driver
from ..core.evidence import ReceiverEvidence
from .constructors import _Constructors
from .entities import FunctionId
from .resolution import _Resolution


@dataclass(frozen=True)
class ModuleLocation:
    """Where a file sits in the import system: `app.services.jobs` under source root `fixtures/jobs_api`."""

    module: str
    package: str
    source_root: str


def locate_module(path: Path) -> ModuleLocation:
    """The dotted module name of `path`: its folders up to the first one without `__init__.py`."""
    path = Path(path).absolute()
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while os.path.isfile(folder / "__init__.py") and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    module = ".".join(parts) or path.parent.name
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    return ModuleLocation(module, package, folder.as_posix())


def namespace_module(path: Path) -> str | None:
    """The dotted name of `path` through a folder without `__init__.py` inside a regular package: Python imports
    `tests/multitenant_tests/case_abc.py` under `tests/__init__.py` as `tests.multitenant_tests.case_abc` (the
    folder is a namespace portion of `tests`), beside the short name `locate_module` gives. None when no such
    folder is on the way."""
    path = Path(path).absolute()
    parts = [] if path.stem == "__init__" else [path.stem]
    folder, through_namespace = path.parent, False
    while folder.parent != folder:
        if not os.path.isfile(folder / "__init__.py"):
            if not os.path.isfile(folder.parent / "__init__.py"):
                break
            through_namespace = True
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) if through_namespace else None


@dataclass
class FileSummary:
    """One file's facts as the other families leave it, and the functions they make need `await`."""

    path: str
    location: ModuleLocation
    facts: ModuleFacts
    # Sync functions whose body holds `await`/`async with`/`async for` once the other families ran.
    seeds: frozenset[str] = frozenset()
    # Functions that another family's rewrite turned into `async def` by itself (e.g. `get_db`).
    converted: frozenset[str] = frozenset()
    # Call keys (owner, callee, awaited) that exist after the other families ran, with multiplicity:
    # a call another family's rewrite removes (`next(get_db())`) is not one F may report.
    surviving_calls: dict[tuple, int] = field(default_factory=dict)
    # Sync functions holding sync session I/O, whatever the run selects (see coloring_predict._legacy_io).
    legacy_io: frozenset[str] = frozenset()
    # Fixtures that hand out a session or connection they open (D105, session/fixture_sessions.py): qualname -> (what
    # they hand out, "session" or "connection"; whether, once async, they request anyio's `anyio_backend`).
    handout_fixtures: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # The prediction itself, for `migrate` to start from (None: the other families changed nothing).
    source_digest: bytes = b""
    predicted: bytes | None = None
    predicted_fixed: dict[str, int] = field(default_factory=dict)
    # The run's target: with "async", a function that receives the session with its query (query/params.py)
    # awaits it, which the prediction cannot see (only the whole repository decides it).
    target: str = "async"


def scan_module(wrapper: cst.MetadataWrapper, path: str, location: ModuleLocation, evidence: ReceiverEvidence,
                positions=None) -> ModuleFacts:
    positions = positions if positions is not None else wrapper.resolve(PositionProvider)

    def line_of(node: cst.CSTNode) -> int:
        where = positions.get(node)
        return where.start.line if where is not None else 0

    scanner = ModuleScanner(path, location.module, location.package, evidence)
    facts = scanner.scan(line_of)
    coloring_loop_driver.scan(facts, evidence.parents, evidence)
    coloring_callables.scan(facts, evidence.parents, scanner)
    return facts


def call_key(owner: str | None, callee: Expr | None, awaited: bool) -> tuple:
    return (owner, callee, awaited)


def async_bodies(parents: Mapping[cst.CSTNode, cst.CSTNode]) -> tuple[set[str], set[str]]:
    """Qualnames of the `async def`s, and of the sync `def`s whose own body awaits, in the module whose nodes
    `parents` maps to their parents."""
    asynchronous, awaiting = set(), set()
    for node in parents:
        if not isinstance(node, cst.FunctionDef):
            continue
        qualname = qualname_of(node, parents)
        if node.asynchronous is not None:
            asynchronous.add(qualname)
        elif any(_awaits(child) for child in own_nodes(node)):
            awaiting.add(qualname)
    return asynchronous, awaiting


def _awaits(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Await):
        return True
    if isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
        return True
    return isinstance(node, cst.CompFor) and node.asynchronous is not None


class RepoIndex(_Resolution, _Constructors):
    """Every file's summary, and name resolution across them."""

    def __init__(self, summaries: Iterable[FileSummary]) -> None:
        self.files: dict[str, FileSummary] = {s.path: s for s in summaries}
        self.modules: dict[str, list[str]] = {}
        for summary in self.files.values():
            self.modules.setdefault(summary.location.module, []).append(summary.path)
        for summary in list(self.files.values()):
            alias = namespace_module(Path(summary.path))
            if alias is not None and alias not in self.modules:
                self.modules[alias] = [summary.path]
        self._fixtures: dict[str, dict[str, FunctionId]] = {}
        # Where fixtures are looked up from each file (the file, then conftest.py files upwards), and the
        # conftest.py of each folder: built once, not on every lookup (there is one per test parameter).
        self._fixture_search: dict[str, list[str]] = {}
        self._conftests: dict[PurePosixPath, str] | None = None
        # Answers derived from the whole index, computed once by whoever needs them.
        self.memo: dict[str, object] = {}

    # -- definitions ------------------------------------------------------------------------------
    def function(self, function: FunctionId) -> FunctionFacts | None:
        summary = self.files.get(function[0])
        return summary.facts.functions.get(function[1]) if summary is not None else None

    def cls(self, path: str, qualname: str) -> ClassFacts | None:
        summary = self.files.get(path)
        return summary.facts.classes.get(qualname) if summary is not None else None

    def functions(self) -> Iterable[tuple[FunctionId, FunctionFacts]]:
        for path, summary in self.files.items():
            for qualname, facts in summary.facts.functions.items():
                yield (path, qualname), facts

    # -- modules ----------------------------------------------------------------------------------
    def module_path(self, name: str, origin: str) -> str | None:
        """The file of module `name` as seen from file `origin` (nearest source root wins)."""
        candidates = self.modules.get(name)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        origin_dir = _absolute_dir(self.files[origin]) if origin in self.files else None
        best, best_length = None, -1
        for candidate in candidates:
            root = self.files[candidate].location.source_root
            if origin_dir is not None and (origin_dir == root or origin_dir.startswith(root.rstrip("/") + "/")):
                if len(root) > best_length:
                    best, best_length = candidate, len(root)
        return best

    # -- pytest fixtures --------------------------------------------------------------------------
    def fixture(self, name: str, origin: str) -> FunctionId | None:
        """The fixture `name` a test in `origin` receives: its own module first, then conftest.py upwards."""
        for path in self._fixture_files(origin):
            found = self._fixtures_of(path).get(name)
            if found is not None:
                return found
        return None

    def _fixtures_of(self, path: str) -> dict[str, FunctionId]:
        """The fixtures pytest finds in the module at `path`: its own, then those it star-imports (a conftest.py
        with `from tests.fixtures import *`, a package re-exporting its modules with `from .users import *`)."""
        if path not in self._fixtures:
            self._fixtures[path] = {}  # (a module star-importing itself through a cycle adds nothing)
            summary = self.files.get(path)
            found: dict[str, FunctionId] = {}
            if summary is not None:
                for qualname, facts in summary.facts.functions.items():
                    if facts.role == "fixture" and facts.fixture_name:
                        found.setdefault(facts.fixture_name, (path, qualname))
                for star in summary.facts.star_imports:
                    imported = self.module_path(star, path)
                    for name, fixture in (self._fixtures_of(imported) if imported is not None else {}).items():
                        found.setdefault(name, fixture)
            self._fixtures[path] = found
        return self._fixtures[path]

    def _fixture_files(self, origin: str) -> list[str]:
        if origin not in self._fixture_search:
            self._fixture_search[origin] = self._search_fixture_files(origin)
        return self._fixture_search[origin]

    def _search_fixture_files(self, origin: str) -> list[str]:
        if self._conftests is None:
            self._conftests = {PurePosixPath(p).parent: p for p in self.files if PurePosixPath(p).name == "conftest.py"}
        conftests = self._conftests
        files = [origin]
        folder = PurePosixPath(origin).parent
        while True:
            if folder in conftests and conftests[folder] != origin:
                files.append(conftests[folder])
            if folder == folder.parent or str(folder) in ("", "."):
                break
            folder = folder.parent
        if PurePosixPath(".") in conftests and conftests[PurePosixPath(".")] not in files:
            files.append(conftests[PurePosixPath(".")])
        return files


def _absolute_dir(summary: FileSummary) -> str:
    return Path(summary.path).absolute().parent.as_posix()


def function_at(path: str, qualname: str) -> FunctionId:
    return (path, qualname)


def display_sites(index: RepoIndex, sites: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{path}:{line}" for path, line in sites)
