"""A rule family: its rules, the recogniser shared by `check` and `migrate`, and its rewrite."""

from __future__ import annotations

import re

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from sqlasync.config import Config

from .evidence import ReceiverEvidence
from .rule import Match, Rule


@dataclass
class FileContext:
    """Everything a recogniser may consult about one file."""

    path: PurePosixPath
    config: Config
    wrapper: cst.MetadataWrapper
    target: str = "async"
    _evidence: ReceiverEvidence | None = field(default=None, repr=False)

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    @property
    def evidence(self) -> ReceiverEvidence:
        if self._evidence is None:
            self._evidence = ReceiverEvidence(self.wrapper, self.config)
        return self._evidence


class Recogniser(cst.BatchableCSTVisitor):
    """Base of every family's recogniser: collects `Match`es while visiting one file."""

    # Positions are resolved later, only for files that have matches.
    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider, ParentNodeProvider)
    rules: dict[str, Rule] = {}

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        # An attribute, not a property: libcst's batched visitor inspects every member of a visitor.
        self.evidence: ReceiverEvidence = context.evidence
        self.matches: list[Match] = []

    def report(self, code: str, node: cst.CSTNode, message: str, *, fixable: bool = False,
               reason: str | None = None, data: object = None) -> None:
        self.matches.append(Match(self.rules[code], node, message, fixable, reason, data))


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
