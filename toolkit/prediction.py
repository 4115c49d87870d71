"""Summarising one file for the repository index, and the whole-run coloring built from the summaries.

A file's summary is taken from the module *as the other families will leave it*: their rewrites run
here in a prediction mode in which every function that nothing local forbids is assumed to become
async (`PredictionView`). Whatever sync function then holds an `await` is a seed of the coloring.
The real run asks the solved `Coloring` instead, so the two agree wherever nothing outside the file
forbids a function to become async.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

import libcst as cst

from sqlasync.codemods.bootstrap import async_url
from sqlasync.codemods.coloring.solution import STAYS_SYNC, Coloring
from sqlasync.codemods.coloring.solve import solve
from sqlasync.codemods.core.family import Family, FileContext
from sqlasync.codemods.index.repo_index import (FileSummary, ModuleLocation, RepoIndex, async_bodies, call_key,
                                                locate_module, scan_module)
from sqlasync.codemods.core.functions import qualname_of
from sqlasync.codemods.index.facts import ModuleFacts
from sqlasync.codemods.session.fixture_adoption import AdoptedHandout, sync_face_params
from sqlasync.codemods.session.fixture_sessions import ADOPTED, FixtureHandout, users

from .config import Config
from .findings import Finding
from .passes import parse, recognise, rewrite_module

COLORING_PREFIX = "F"
QUERY_PREFIX = "Q"
COLORING_RULE = "F101"
LOOP_DRIVER_RULE = "F110"
SYNC_ENTRY_RULE = "F112"
# Sites that are sync session I/O by definition: a legacy query chain, an un-awaited session call.
LEGACY_IO_RULES = frozenset({"Q101", "S101"})


class PredictionView:
    """During prediction every function is taken to become async, so that the awaits it would need show up even
    where it must stay sync (a property): those are reported (F107) instead of silently left alone."""

    def __init__(self, facts: ModuleFacts, enabled: bool) -> None:
        self.facts = facts
        self.enabled = enabled

    def function_async(self, path: str, qualname: str) -> bool | None:
        facts = self.facts.functions.get(qualname)
        if facts is None:
            return None
        return facts.is_async or self.enabled

    def function_blocker(self, path: str, qualname: str) -> str | None:
        facts = self.facts.functions.get(qualname)
        if not self.enabled:
            return "async coloring (F101) is not selected for this run"
        return facts.blocker if facts is not None else None

    def imported_from(self, path: str) -> frozenset[str]:
        # Which imports the prediction keeps changes no `await`: the real run asks the whole repository.
        return frozenset()

    def function_stuck(self, path: str, qualname: str) -> bool:
        # Only the whole repository knows; a file with a stuck function is rewritten again (resume_from_prediction).
        return False

    def sync_session_giver(self, path: str, qualname: str) -> tuple[str, bool] | None:
        return None  # callers are the whole repository's to tell, as for function_stuck

    def module_defining(self, name: str, origin: str) -> str | None:
        return None  # what other modules define once the run is done is the whole repository's to tell

    def module_stays_legacy(self, module: str, origin: str) -> bool:
        # The prediction takes every engine to become async, like every function.
        return False


def coloring_enabled(families: Sequence[Family], selection) -> bool:
    """May functions become async in this run (F101 selected, or F110, which makes its users async, or F112, which
    makes the bodies of sync entry points async)?"""
    return any(f.prefix == COLORING_PREFIX for f in families) and (
        selection is None or any(code in selection for code in (COLORING_RULE, LOOP_DRIVER_RULE, SYNC_ENTRY_RULE)))


def coloring_active(families: Sequence[Family], selection, target: str = "async") -> bool:
    """Does this run need the repository index at all: any F rule selected, or, under `--target sync`, the Q
    rules (Flask-SQLAlchemy's `Model.query` converts only once the index shows the model and its `db`)?"""
    def selected(prefix: str) -> bool:
        family = next((f for f in families if f.prefix == prefix), None)
        return family is not None and (selection is None or any(rule.code in selection for rule in family.rules))

    return selected(COLORING_PREFIX) or (target == "sync" and selected(QUERY_PREFIX))


def summarise(path: str, source: bytes, location: ModuleLocation, config: Config, families: Sequence[Family],
              selection, target: str, predict: bool = True) -> FileSummary | None:
    """The file's facts after the other families' rewrites, with the functions those rewrites make await.

    `predict=False` skips the rewrites, for files in which no other family can find anything. Summaries
    are remembered for the life of the process: `check` then `migrate` in one process predict once."""
    key = (path, hashlib.sha256(source).digest(), location, config.fingerprint(), repr(config), target, predict,
           tuple(f.name for f in families), selection)
    if key not in _SUMMARIES:
        if len(_SUMMARIES) >= MEMORY_SIZE:
            _SUMMARIES.pop(next(iter(_SUMMARIES)))
        _SUMMARIES[key] = _summarise(path, source, location, config, families, selection, target, predict)
    return _SUMMARIES[key]


_SUMMARIES: dict[tuple, FileSummary | None] = {}
MEMORY_SIZE = 4096
# `Model.query` (`cls.query` in a classmethod): converted under `--target sync` once the repository index shows
# the model (query/recogniser.py).
MODEL_QUERY = re.compile(rb"\b(?:[A-Z]\w*|cls)\.query\b")
# `filter_by()` after `join(Model.relationship)`: converted under `--target sync` once the index shows the
# relationship's class (query/related_classes.py).
JOIN_THEN_FILTER_BY = re.compile(rb"join\s*\([^)]*\.\w+\s*\)[\s\S]*?\.filter_by\s*\(")
# A parameter annotated `Engine`: E107 takes it for the async engine only in a function that becomes async, and
# hands its connection to a helper only if the helper stays sync; the prediction takes every function for async.
ENGINE_PARAMETER = re.compile(rb":\s*(?:sqlalchemy\.)?(?:engine\.)?Engine\b")
# Likewise E102 takes a `sessionmaker` a project module re-exports for SQLAlchemy's only in functions that become
# async.
REEXPORTED_SESSIONMAKER = re.compile(rb"from\s+(?!sqlalchemy\b)[\w.]+\s+import[^\n]*\bsessionmaker\b")


def _summarise(path: str, source: bytes, location: ModuleLocation, config: Config, families: Sequence[Family],
               selection, target: str, predict: bool) -> FileSummary | None:
    module = parse(source, path)
    if isinstance(module, Finding):
        return None
    context = FileContext(PurePosixPath(path), config, cst.MetadataWrapper(module, unsafe_skip_copy=True), target)
    original = scan_module(context.wrapper, path, location, context.evidence)
    others = [family for family in families if family.prefix != COLORING_PREFIX]
    view = PredictionView(original, coloring_enabled(families, selection))
    legacy_io: set[str] = set()
    handouts: dict[str, str] = {}
    fixed: Counter[str] = Counter()
    predicted = module
    # The context of the last family's pass: when no rewrite came after it, its metadata and receiver evidence
    # are those of the predicted module, which is then scanned without building them once more.
    last_pass: list[FileContext] = []
    if predict:
        # One batched pass first: when no family would change anything, neither would their pipeline.
        context.coloring = view
        matches = recognise(context, [f for f in others if f.rewrite is not None])
        legacy_io.update(_legacy_io(context, matches))
        handouts.update(_handout_fixtures(context, matches, selection))

        def observe(ctx, found):
            last_pass[:] = [ctx]
            legacy_io.update(_legacy_io(ctx, found))
            handouts.update(_handout_fixtures(ctx, found, selection))

        if any(m.fixable and (selection is None or m.rule.code in selection) for m in matches):
            predicted, fixed = rewrite_module(module, path, config, others, selection, target, view,
                                              observe=observe, reuse=context, keep_last=True)
    changed = predicted is not module and predicted.code != module.code
    # Decided before any release: the last pass's context may be the original one (when the first pass was the
    # last to rewrite), whose module is then not the predicted one.
    # An earlier tree's metadata goes before the predicted module's is built.
    reusable = last_pass[0].kept_for(predicted if changed else None) if last_pass else None
    last_pass = None
    # The original tree's metadata (scopes, qualified names, parents: several times the tree's own size) is
    # used up: let it go before the predicted module gets its own, so a large file holds one set, not two.
    context.release()
    module = context = matches = None
    if not changed:
        facts, seeds, converted = original, frozenset(), frozenset()
    else:
        predicted_context = reusable or FileContext(
            PurePosixPath(path), config, cst.MetadataWrapper(predicted, unsafe_skip_copy=True), target)
        facts = scan_module(predicted_context.wrapper, path, location, predicted_context.evidence)
        asynchronous, awaiting = async_bodies(predicted_context.evidence.parents)
        predicted_context.release()
        reusable = predicted_context = None
        was_sync = {q for q, f in original.functions.items() if not f.is_async}
        seeds = frozenset(awaiting & was_sync)
        converted = frozenset(asynchronous & was_sync)
    surviving = Counter(call_key(site.owner, site.callee, site.awaited) for site in facts.calls)
    anyio = config.test_async_marker == "anyio"
    return FileSummary(path, location, facts, seeds, converted, dict(surviving), frozenset(legacy_io),
                       {qualname: (handouts[qualname], anyio) for qualname in sorted(handouts)},
                       hashlib.sha256(source).digest(), predicted.bytes if changed else None, dict(fixed), target)


def _legacy_io(context: FileContext, matches) -> set[str]:
    """Functions holding sync session I/O (a query chain or a session call that must be awaited), whatever
    this run selects: async callers reach them through the compat bridge while they stay sync (F108)."""
    found = set()
    for match in matches:
        if match.rule.code in LEGACY_IO_RULES:
            function = context.evidence.enclosing(match.node, cst.FunctionDef)
            if function is not None and function.asynchronous is None:
                found.add(qualname_of(function, context.evidence.parents))
    return found


def _handout_fixtures(context: FileContext, matches, selection) -> dict[str, str]:
    """Fixtures the run makes own what they hand out (D105, E107), with what they hand out: the solver
    converts them only together with their users (fixture_sessions.chain_reason). Fixtures that stay sync and
    hand their async users an adopted session (D105) are "adopted": the prediction cannot tell whether a user
    becomes async, so `resume_from_prediction` checks it."""
    return {qualname_of(match.data.fixture, context.evidence.parents):
            ADOPTED if isinstance(match.data, AdoptedHandout) else match.data.kind for match in matches
            if match.fixable and isinstance(match.data, (FixtureHandout, AdoptedHandout))
            and (selection is None or match.rule.code in selection)}


def resume_from_prediction(coloring, path: str, source: bytes, families: Sequence[Family]):
    """`migrate`'s starting point when the prediction of this very source made the same decisions the run will:
    the predicted module, what it fixed, and the families still to run. None when the pipeline must run again."""
    if not isinstance(coloring, Coloring):
        return None
    summary = coloring.index.files.get(path)
    if summary is None or summary.source_digest != hashlib.sha256(source).digest():
        return None
    for qualname in summary.seeds | summary.converted:
        if not coloring.async_after((path, qualname)):
            return None  # the prediction assumed async where the run keeps a function sync
    if any(coloring.verdict((path, q)) == STAYS_SYNC for q in summary.facts.functions):
        return None
    if any(kind == ADOPTED and not any(coloring.async_after(user) for user in users(coloring.index, (path, qualname)))
           for qualname, (kind, _) in summary.handout_fixtures.items()):
        return None  # the prediction adopted the session of a fixture none of whose users becomes async
    if any(coloring.sync_session_giver(path, qualname) for qualname in summary.facts.functions):
        return None  # a sync function handed a sync session keeps its `Session` type: the prediction converted it
    if any(sync_face_params(coloring, (path, qualname)) for qualname in summary.facts.functions):
        return None  # a sync user of an adopted session: the prediction took it for async
    if b".query" in source and any(sync_face_params(coloring, (path, qualname), asynchronous=True)
                                   for qualname in summary.facts.functions):
        return None  # an async user of an adopted session may keep a legacy query (SyncQuery), which needs the index
    if any((path, qualname) in coloring.drivers.users for qualname in summary.facts.functions):
        return None  # the prediction could not see F110 make `run(...)` an await for the other families
    if summary.predicted is not None and async_url.DEFINITION in summary.predicted and \
            coloring.module_defining(async_url.NAME, path) is not None:
        return None  # the prediction pasted the URL helper, which Alembic's env.py may import instead (E106)
    if path in coloring.queries.files or path in coloring.returned.files:
        return None  # the prediction could not hand queries to functions: only the whole repository allows it
    if any(name not in summary.facts.names and name.encode() in source for name in coloring.imported_from(path)):
        return None  # the prediction dropped an import that other files import from this one
    if summary.target == "async" and (ENGINE_PARAMETER.search(source) or REEXPORTED_SESSIONMAKER.search(source)):
        return None  # only the run's coloring says which functions become async, which E107/E102 ask here
    if summary.target == "sync" and MODEL_QUERY.search(source):
        return None  # only the index tells Flask-SQLAlchemy models and their `db` apart (query/flask_models.py)
    if summary.target == "sync" and JOIN_THEN_FILTER_BY.search(source):
        return None  # only the index tells which class a relationship joins to (query/related_classes.py)
    module = cst.parse_module(summary.predicted if summary.predicted is not None else source)
    rest = [family for family in families if family.prefix == COLORING_PREFIX]
    return module, Counter(summary.predicted_fixed), rest


def build_coloring(summaries: Iterable[FileSummary | None], migrated: Iterable[str], families: Sequence[Family],
                   selection) -> Coloring:
    index = RepoIndex(s for s in summaries if s is not None)
    return solve(index, migrated, coloring_enabled(families, selection))


def single_file_coloring(source: bytes, path: str, config: Config, families: Sequence[Family], selection,
                         target: str) -> Coloring | None:
    """The coloring of a run that sees one file only (tests, editors): the file is its own repository."""
    if not coloring_active(families, selection, target):
        return None
    location = locate_module(Path(path)) if os.path.isfile(path) else ModuleLocation(
        PurePosixPath(path).stem, "", Path(path).absolute().parent.as_posix())
    summary = summarise(path, source, location, config, families, selection, target)
    return build_coloring([summary], [path], families, selection)
