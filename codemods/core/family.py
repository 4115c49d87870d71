"""A rule family: its rules, the recogniser shared by `check` and `migrate`, and its rewrite."""

from __future__ import annotations

import gc
import re

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

import libcst as cst
from libcst.metadata import ScopeProvider

from sqlasync.config import Config

from .batched_visitor import OwnMethodsBatchableVisitor
from .functions import qualname_of
from .evidence import ReceiverEvidence
from .heap import return_freed_memory
from .nodes import nodes_under
from .rule import Match, Rule
from .tree import parent_map


class ColoringView(Protocol):
    """Async coloring's answer for one function, by file and `__qualname__` (family F, codemods/coloring*.py)."""

    def function_async(self, path: str, qualname: str) -> bool | None: ...
    def function_blocker(self, path: str, qualname: str) -> str | None: ...
    def imported_from(self, path: str) -> frozenset[str]: ...
    def function_stuck(self, path: str, qualname: str) -> bool: ...
    def module_stays_legacy(self, module: str, origin: str) -> bool: ...
    def sync_session_giver(self, path: str, qualname: str) -> tuple[str, bool] | None: ...
    def module_defining(self, name: str, origin: str) -> str | None: ...


# From about 500 lines on (some 20 nodes a line), a full collection (a hundredth of a second or two) costs well
# under a hundredth of the file's analysis; below, the automatic collector is left to free the metadata.
LARGE_MODULE_NODES = 10_000


@dataclass
class FileContext:
    """Everything a recogniser may consult about one file."""

    path: PurePosixPath
    config: Config
    wrapper: cst.MetadataWrapper
    target: str = "async"
    _evidence: ReceiverEvidence | None = field(default=None, repr=False)
    _parents: dict[cst.CSTNode, cst.CSTNode] | None = field(default=None, repr=False)
    # The repository-wide async coloring of this run; None when no function becomes async.
    coloring: ColoringView | None = None
    # The recognisers visiting this file together, in registry order (set by the runner). `migrate` runs
    # each family's rewrite before the next family looks, so what an earlier one fixes is gone by then.
    recognisers: list[Recogniser] = field(default_factory=list, repr=False)
    _fixed_earlier: dict[int, set[int]] = field(default_factory=dict, repr=False)

    def visited_by(self, recognisers: list[Recogniser]) -> None:
        """The recognisers of the next visit of this file (a context may serve several passes)."""
        self.recognisers = recognisers
        self._fixed_earlier = {}

    def fixed_earlier(self, node: cst.CSTNode, asking: Recogniser) -> bool:
        """Is `node` inside a site a family before `asking`'s rewrites first, in `migrate`? A recogniser asks
        in `leave_Module` (the earlier ones have finished then), so that `check` judges what `migrate` will see.
        (Every family recognises whatever `--select` says; a selection that leaves out the earlier family's rule
        makes `migrate` leave that site, and `check` still counts it as fixed there.)"""
        for recogniser in self.recognisers:
            if recogniser is asking:
                return False
            covered = self._fixed_earlier.get(id(recogniser))
            if covered is None:
                covered = self._fixed_earlier[id(recogniser)] = {
                    id(inner) for match in recogniser.matches if match.fixable for inner in nodes_under(match.node)}
            if id(node) in covered:
                return True
        return False

    def will_be_async(self, function: cst.FunctionDef) -> bool:
        """Is `function` `async def` once this migration is done (already, or made async by family F)?

        Recognisers that write `await` into a function ask this, so that `check` counts exactly the
        sites `migrate` changes and no `await` ever lands in a function that stays sync."""
        if function.asynchronous is not None:
            return True
        if self.coloring is None:
            return False
        return bool(self.coloring.function_async(str(self.path), qualname_of(function, self.evidence.parents)))

    def imported_by_others(self) -> frozenset[str]:
        """Names other files of the project import from this one: their imports here must stay."""
        return self.coloring.imported_from(str(self.path)) if self.coloring is not None else frozenset()

    def stuck_sync(self, function: cst.FunctionDef) -> bool:
        """Does `function` need async (its callees or its own I/O do) but must stay sync (F107)?"""
        if function.asynchronous is not None or self.coloring is None:
            return False
        return self.coloring.function_stuck(str(self.path), qualname_of(function, self.evidence.parents))

    def sync_session_giver(self, function: cst.FunctionDef) -> tuple[str, bool] | None:
        """The caller that hands sync `function` a sync `Session` (it stays sync with its session I/O), if any, and
        whether other callers hand it a session too."""
        if function.asynchronous is not None or self.coloring is None:
            return None
        return self.coloring.sync_session_giver(str(self.path), qualname_of(function, self.evidence.parents))

    def async_blocker(self, function: cst.FunctionDef) -> str | None:
        """Why `function` stays sync after this migration (for a finding's reason); None if it will be async."""
        if self.will_be_async(function):
            return None
        if self.coloring is None:
            return "no function becomes async in this run (async coloring, F101, is not selected)"
        reason = self.coloring.function_blocker(str(self.path), qualname_of(function, self.evidence.parents))
        return f"`{function.name.value}` stays sync: {reason or 'nothing in it needs async'}"

    def release(self) -> None:
        """Let go of the module's metadata, evidence and recognisers once this context is used up, and, for a large
        module, collect them now. Scopes, assignments and recognisers refer to each other, so only the cyclic
        collector frees them; run as rarely as the command line sets it (cli.py), it let every pass's set wait:
        the rewrite pipeline of a large file held four at once (benchmarks/bench_large_file.py). What that frees goes
        back to the system (heap.py), not under the next pass's metadata."""
        if self.wrapper is None:
            return
        large = self._parents is not None and len(self._parents) >= LARGE_MODULE_NODES
        self.wrapper = self._evidence = self._parents = None
        self.recognisers, self._fixed_earlier = [], {}
        if large:
            gc.collect()
            return_freed_memory()

    def kept_for(self, module: cst.Module | None) -> FileContext | None:
        """This context when it was built for `module`, whose analysis may then reuse its metadata; else it is
        released and None."""
        if module is not None and self.wrapper is not None and self.module is module:
            return self
        self.release()
        return None

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    @property
    def parents(self) -> dict[cst.CSTNode, cst.CSTNode]:
        """Each node's parent, built once for every reader of this file (tree.py; LibCST's ParentNodeProvider gives
        the same map at several times the cost)."""
        if self._parents is None:
            self._parents = parent_map(self.module)
        return self._parents

    @property
    def evidence(self) -> ReceiverEvidence:
        if self._evidence is None:
            self._evidence = ReceiverEvidence(self.wrapper, self.config, self.parents)
        return self._evidence


class Recogniser(OwnMethodsBatchableVisitor):
    """Base of every family's recogniser: collects `Match`es while visiting one file."""

    # Positions are resolved later, only for files that have matches; qualified names node by node, when asked
    # for (evidence.QualifiedNames); parents come from the context (FileContext.parents).
    METADATA_DEPENDENCIES = (ScopeProvider,)
    rules: dict[str, Rule] = {}

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        # An attribute, not a property: libcst's batched visitor inspects every member of a visitor.
        self.evidence: ReceiverEvidence = context.evidence
        self.matches: list[Match] = []

    def report(self, code: str, node: cst.CSTNode, message: str, *, fixable: bool = False,
               reason: str | None = None, data: object = None, needs: str | None = None) -> None:
        self.matches.append(Match(self.rules[code], node, message, fixable, reason, data, needs))


Rewrite = Callable[[FileContext, list[Match]], cst.Module]


@dataclass(frozen=True)
class Family:
    prefix: str
    name: str
    rules: tuple[Rule, ...]
    recogniser: type[Recogniser]
    # Byte-level prefilter: alternatives, each a group of regexes that must all occur in a file
    # for it to possibly hold a finding of this family. Never narrower than the recogniser.
    triggers: Callable[[Config], tuple[tuple[bytes, ...], ...]]
    rewrite: Rewrite | None = None


def words(names) -> bytes:
    return b"|".join(re.escape(n.encode()) for n in names)


def session_hints(config: Config) -> bytes:
    """Text that every kind of session evidence leaves in a file."""
    return (rb"Session|Depends|\.resolve\s*\(|next\s*\(|\b(?:" + words(
        (*config.session_names, *config.session_factories, *config.session_aliases, *config.session_decorators)
    ) + rb")\b")


NO_REWRITE_YET = "no automatic rewrite for this rule yet; convert by hand (see `sqlasync explain`)"
