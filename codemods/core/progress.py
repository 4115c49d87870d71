"""Migrated constructs: the async SQLAlchemy 2.x code a migration leaves behind.

Counted next to the legacy findings so a report can say how far a codebase has come. These are
not findings: nothing here is wrong, and nothing is rewritten. Like the recognisers, the counts
rely on receiver evidence, so `await client.get(url)` is not mistaken for session I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider, ScopeProvider

from sqlasync.config import Config

from .batched_visitor import OwnMethodsBatchableVisitor
from .functions import _yields
from .nodes import dotted_name
from .receivers import ASYNC_FACTORIES, ASYNC_SESSION_TYPES, Evidence, Kind
from .family import FileContext, words


@dataclass(frozen=True)
class Construct:
    name: str
    # The legacy rule family whose sites this construct replaces.
    family: str
    summary: str


CONSTRUCTS: tuple[Construct, ...] = (
    Construct("awaited-statement", "query",
              "`await session.execute/scalars/scalar/get(...)` on an AsyncSession (replaces `session.query`)"),
    Construct("awaited-session-io", "session", "awaited AsyncSession I/O (`await db.commit()`, `refresh`, ...)"),
    Construct("async-session-annotation", "session", "`AsyncSession` type annotation"),
    Construct("async-begin", "session", "`async with session.begin()` transaction block"),
    Construct("async-session-dependency", "acquisition", "parameter `db: AsyncSession = Depends(get_db)`"),
    Construct("async-session-block", "acquisition", "`async with SessionLocal() as db:` (closed on every path)"),
    Construct("create-async-engine", "bootstrap", "`create_async_engine(...)`"),
    Construct("async-sessionmaker", "bootstrap", "`async_sessionmaker(...)`"),
    Construct("declarative-base-class", "bootstrap", "`class Base(DeclarativeBase)`"),
    Construct("run-sync-create-all", "bootstrap", "`await conn.run_sync(Base.metadata.create_all)`"),
    Construct("async-get-db", "bootstrap", "async `get_db()` generator dependency"),
    Construct("async-alembic-env", "bootstrap", "Alembic env.py on `async_engine_from_config(...)`"),
)
CONSTRUCTS_BY_NAME = {construct.name: construct for construct in CONSTRUCTS}

STATEMENT_METHODS = frozenset({"execute", "scalars", "scalar", "stream", "stream_scalars", "get", "get_one"})
IO_METHODS = frozenset({"commit", "rollback", "flush", "refresh", "delete", "merge", "close", "connection"})
DECLARATIVE_BASES = frozenset({"sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
                               "sqlalchemy.orm.decl_api.DeclarativeBase"})
CREATE_ASYNC_ENGINE = ("sqlalchemy.ext.asyncio.create_async_engine", "sqlalchemy.ext.asyncio.engine.create_async_engine")
ASYNC_ENGINE_FROM_CONFIG = ("sqlalchemy.ext.asyncio.async_engine_from_config",
                            "sqlalchemy.ext.asyncio.engine.async_engine_from_config")


def triggers(config: Config) -> tuple[tuple[bytes, ...], ...]:
    """Prefilter alternatives: a file without any of these holds no migrated construct."""
    awaited = b"|".join(sorted(m.encode() for m in STATEMENT_METHODS | IO_METHODS | {"run_sync"}))
    return (
        (rb"AsyncSession|async_sessionmaker|create_async_engine|DeclarativeBase|async_engine_from_config",),
        (rb"\bawait\s+[\w.]+\.(?:" + awaited + rb")\s*\(",),
        (rb"\basync\s+with\b",),
        (rb"\basync\s+def\s+(?:" + words(config.get_db_names) + rb")\b",),
    )


class MigratedConstructs(OwnMethodsBatchableVisitor):
    """Counts migrated constructs in one file; runs in the same batch as the family recognisers."""

    METADATA_DEPENDENCIES = (ScopeProvider, PositionProvider)

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.counts: Counter[str] = Counter()

    @property
    def evidence(self):
        return self.context.evidence

    def visit_Await(self, node: cst.Await) -> None:
        call = node.expression
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return
        method = call.func.attr.value
        if method == "run_sync":
            if call.args and (dotted_name(call.args[0].value) or "").endswith("metadata.create_all"):
                self.counts["run-sync-create-all"] += 1
            return
        if method not in STATEMENT_METHODS | IO_METHODS:
            return
        if _async_or_unknown(self.evidence.session(call.func.value)):
            self.counts["awaited-statement" if method in STATEMENT_METHODS else "awaited-session-io"] += 1

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None:
            return
        for item in node.items:
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            if self.evidence.is_session_factory_call(call) is not None:
                self.counts["async-session-block"] += 1
            elif isinstance(call.func, cst.Attribute) and call.func.attr.value in ("begin", "begin_nested"):
                if _async_or_unknown(self.evidence.session(call.func.value)):
                    self.counts["async-begin"] += 1

    def visit_Annotation(self, node: cst.Annotation) -> None:
        if any(self._is_async_session_type(part) for part in self.evidence.annotation_parts(node.annotation)):
            self.counts["async-session-annotation"] += 1

    def visit_Param(self, node: cst.Param) -> None:
        if node.annotation is None or not self._depends(node):
            return
        if any(self._is_async_session_type(part) for part in self.evidence.annotation_parts(node.annotation.annotation)):
            self.counts["async-session-dependency"] += 1

    def visit_Call(self, node: cst.Call) -> None:
        evidence = self.evidence
        if evidence.callee_is(node, CREATE_ASYNC_ENGINE, ("create_async_engine",)):
            self.counts["create-async-engine"] += 1
        elif evidence.callee_is(node, ASYNC_FACTORIES, ("async_sessionmaker",)):
            self.counts["async-sessionmaker"] += 1
        elif evidence.callee_is(node, ASYNC_ENGINE_FROM_CONFIG, ("async_engine_from_config",)) \
                and self.context.path.name == "env.py":
            self.counts["async-alembic-env"] += 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            if self.evidence.qualified(base.value) & DECLARATIVE_BASES or (
                not self.evidence.qualified(base.value) and dotted_name(base.value) == "DeclarativeBase"
            ):
                self.counts["declarative-base-class"] += 1
                return

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None and node.name.value in self.context.config.get_db_names and _yields(node):
            self.counts["async-get-db"] += 1

    def _is_async_session_type(self, part: cst.BaseExpression) -> bool:
        names = self.evidence.qualified(part)
        return bool(names & ASYNC_SESSION_TYPES) or (not names and dotted_name(part) == "AsyncSession")

    def _depends(self, param: cst.Param) -> bool:
        """`= Depends(...)` as a default, or `Annotated[AsyncSession, Depends(...)]`."""
        candidates = [param.default] if param.default is not None else []
        annotation = param.annotation.annotation
        if isinstance(annotation, cst.Subscript) and (dotted_name(annotation.value) or "").endswith("Annotated"):
            candidates.extend(element.slice.value for element in annotation.slice[1:]
                              if isinstance(element.slice, cst.Index))
        # With an AsyncSession annotation any provider counts: `get_async_db` is as migrated as `get_db`.
        return any(isinstance(c, cst.Call) and (dotted_name(c.func) or "").split(".")[-1] == "Depends"
                   for c in candidates)


def _async_or_unknown(evidence: Evidence | None) -> bool:
    """Awaiting the call shows the session is async unless something proves it is a sync Session."""
    return evidence is not None and (evidence.kind is Kind.ASYNC_SESSION or evidence.name_only)
