"""Receiver evidence: is this expression a SQLAlchemy session (or an asyncpg pool/connection), and why.

Recognisers decide by evidence, not by method names alone, so that `requests.get`, `dict.get`
or `elasticsearch.query(...)` are never findings. Evidence comes from annotations (incl.
`Annotated[...]` aliases), bindings (`SessionLocal()`, `Container.resolve("db_session")`,
`next(get_db())`, `Depends(get_db)`, `async with pool.acquire() as conn`), `self.x` assigned
from such values, decorators that inject a session, and — weakest — the receiver's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import libcst as cst
from libcst.metadata import (
    Assignment,
    PositionProvider,
    ScopeProvider,
)

from sqlasync.config import Config

from .evidence_resolution import _Resolution
from .nodes import QualifiedNames, _qualified, dotted_name, string_value
from .receivers import ASYNC_FACTORIES, ASYNC_SESSION_TYPES, SYNC_FACTORIES, SYNC_SESSION_TYPES, Evidence, Kind


class ReceiverEvidence(_Resolution):
    """Answers "what is this receiver?" for one parsed file."""

    def __init__(self, wrapper: cst.MetadataWrapper, config: Config, parents: dict[cst.CSTNode, cst.CSTNode]) -> None:
        self.config = config
        self.module = wrapper.module
        # Why no Query chain of this file converts (query_returns.custom_query_class); None: not worked out yet.
        self.custom_query: str | None = None
        self._wrapper = wrapper
        self.scopes = wrapper.resolve(ScopeProvider)
        self.parents = parents
        self.qualified_names = QualifiedNames(wrapper.module, self.scopes, self.parents)
        self.aliases = self._collect_aliases()
        self._module_factories = self._collect_module_factories()
        self._module_registries = self._collect_module_registries()
        self._self_attributes = self._collect_self_attributes()
        self._in_progress: set[int] = set()
        self._source_order: dict[int, int] | None = None
        self._alembic_imports: frozenset[str] | None = None
        self.imports_asyncpg = any(_imports_asyncpg(node) for node in self.parents)

    # -- public API ---------------------------------------------------------------------------
    @property
    def positions(self):
        """Where each node is in the source (resolved when first asked for, then kept by the wrapper)."""
        return self._wrapper.resolve(PositionProvider)

    def bindings(self, scope, name: str) -> list[Assignment]:
        """`name`'s assignments visible from `scope`, in source order. libcst hands them out as a set ordered by
        memory address, so the order changed from process to process: where the first binding that resolves
        wins, so did the answer."""
        positions = self.positions
        return sorted((a for a in scope[name] if isinstance(a, Assignment)),
                      key=lambda a: (positions[a.node].start.line, positions[a.node].start.column))

    def session(self, expr: cst.BaseExpression, *, strong_name: bool = True) -> Evidence | None:
        """Evidence that `expr` is a SQLAlchemy session; name-only evidence needs `strong_name`
        names (not a one-letter `s`) unless the caller's pattern is distinctive."""
        found = self._evidence(expr)
        if isinstance(found, Evidence) and found.is_session:
            if found.name_only and not strong_name and len(dotted_name(expr) or "") <= 1:
                return None
            return found
        return None

    def asyncpg(self, expr: cst.BaseExpression, *, sql: cst.BaseExpression | None = None,
                fetch_method: bool = False) -> Evidence | None:
        """Evidence that `expr` is an asyncpg pool or connection.

        A receiver known only by its name counts when the file imports asyncpg, when the SQL uses
        asyncpg's `$n` placeholders, or when an asyncpg-only method (`fetch*`) is given literal SQL.
        """
        found = self._evidence(expr, asyncpg=True)
        if not (isinstance(found, Evidence) and found.is_asyncpg):
            return None
        if found.name_only and not (
            self.imports_asyncpg or _has_dollar_params(sql) or (fetch_method and _is_literal_sql(sql))
        ):
            return None
        return found

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def imports_from_alembic(self, name: str) -> bool:
        """The module has `from alembic import <name>` at its top level. Read once per file: every function and
        annotation asks (reading the top-level statements each time was quadratic in a large module)."""
        if self._alembic_imports is None:
            self._alembic_imports = _alembic_imports(self.module)
        return name in self._alembic_imports

    def is_alembic_revision(self) -> bool:
        """The module imports Alembic's `op`: a revision file, whose upgrade()/downgrade() Alembic runs
        synchronously."""
        return self.imports_from_alembic("op")

    def source_index(self, node: cst.CSTNode) -> int:
        """Where `node` comes in the parent map's order (-1: not in it). Numbered once per file: the flow analysis
        asks for every query kept in a variable, and the scan runs one analysis per call of the file."""
        if self._source_order is None:
            self._source_order = {id(each): i for i, each in enumerate(self.parents)}
        return self._source_order.get(id(node), -1)

    def qualified(self, node: cst.CSTNode) -> set[str]:
        return _qualified(self.qualified_names, node)

    def is_sync_session_type(self, node: cst.BaseExpression) -> bool:
        """`Session` resolved through imports; inside string annotations (no metadata) by spelling."""
        if node in self.qualified_names:
            return bool(self.qualified(node) & SYNC_SESSION_TYPES)
        text = dotted_name(node) or ""
        return text in ("Session", "orm.Session") or text in SYNC_SESSION_TYPES

    def callee_is(self, call: cst.Call, qualified: Iterable[str], bare: Iterable[str] = ()) -> bool:
        if isinstance(call.func, cst.Call):
            return False  # `sessionmaker(bind=e)()` calls what `sessionmaker(...)` returns, not `sessionmaker`
        names = self.qualified(call.func)
        if names & set(qualified):
            return True
        return not names and dotted_name(call.func) in set(bare)

    def is_session_factory_call(self, call: cst.Call) -> Kind | None:
        """`SessionLocal()`, `Session(engine)`, `sessionmaker(...)()`, and their async twins."""
        func = call.func
        if isinstance(func, cst.Call) and self._factory_kind(func) is not None:
            return self._factory_kind(func)
        names = self.qualified(func)
        if names & SYNC_SESSION_TYPES:
            return Kind.SYNC_SESSION
        if names & ASYNC_SESSION_TYPES:
            return Kind.ASYNC_SESSION
        name = dotted_name(func)
        if name is None:
            return None
        bound = self._module_factories.get(name.split(".")[-1])
        if bound is not None:
            return bound
        if name.split(".")[-1] in self.config.session_factories:
            return Kind.SYNC_SESSION
        return None

    # -- file-level collections ----------------------------------------------------------------
    def _collect_aliases(self) -> dict[str, cst.BaseExpression]:
        """Module-level `Name = Annotated[Session, ...]` / `Name: TypeAlias = ...` definitions."""
        aliases: dict[str, cst.BaseExpression] = {}
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    if isinstance(small.value, (cst.Subscript, cst.Name, cst.Attribute)):
                        aliases[small.targets[0].target.value] = small.value
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                    if dotted_name(small.annotation.annotation) in ("TypeAlias", "typing.TypeAlias"):
                        aliases[small.target.value] = small.value
        return aliases

    def _collect_module_factories(self) -> dict[str, Kind]:
        """Names bound at module level from `sessionmaker(...)` / `async_sessionmaker(...)`."""
        factories: dict[str, Kind] = {}
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                    kind = self._factory_kind(small.value)
                    for target in small.targets:
                        if kind is not None and isinstance(target.target, cst.Name):
                            factories[target.target.value] = kind
        return factories

    def _collect_module_registries(self) -> frozenset[str]:
        """Names bound at module level from `scoped_session(...)`."""
        registries = set()
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and self.qualified(
                        small.value.func) & {"sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"}:
                    registries |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
        return frozenset(registries)

    def _factory_kind(self, call: cst.Call) -> Kind | None:
        names = self.qualified(call.func)
        if names & ASYNC_FACTORIES:
            return Kind.ASYNC_SESSION
        if names & SYNC_FACTORIES:
            class_arg = next((a for a in call.args if a.keyword and a.keyword.value == "class_"), None)
            if class_arg is not None and dotted_name(class_arg.value) in ("AsyncSession",):
                return Kind.ASYNC_SESSION
            return Kind.SYNC_SESSION
        return None

    def _collect_self_attributes(self) -> dict[tuple[int, str], cst.BaseExpression]:
        """`self.x = value` in any method, keyed by (class, x); the first assignment wins."""
        # The parent map already holds every node: scanning it is much cheaper than another visitor pass.
        stored: dict[tuple[int, str], cst.BaseExpression] = {}
        for node in self.parents:
            if not (isinstance(node, cst.Assign) and len(node.targets) == 1):
                continue
            target = node.targets[0].target
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
                owner = self.enclosing(node, cst.ClassDef)
                if owner is not None:
                    stored.setdefault((id(owner), target.attr.value), node.value)
        return stored

    def enclosing(self, node: cst.CSTNode, kind: type) -> cst.CSTNode | None:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, kind):
            current = self.parents.get(current)
        return current


def _imports_asyncpg(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Import):
        return any((dotted_name(alias.name) or "").split(".")[0] == "asyncpg" for alias in node.names)
    if isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
        return (dotted_name(node.module) or "").split(".")[0] == "asyncpg"
    return False


_SQL_START = re.compile(r"(?is)^\s*(?:select|insert|update|delete|with|values)\b")


def _is_literal_sql(sql: cst.BaseExpression | None) -> bool:
    text = string_value(sql) if sql is not None else None
    return bool(text and _SQL_START.match(text))


def _has_dollar_params(sql: cst.BaseExpression | None) -> bool:
    text = string_value(sql) if sql is not None else None
    return bool(text and re.search(r"\$\d", text))


def _alembic_imports(module: cst.Module) -> frozenset[str]:
    """The names of `from alembic import ...` statements at the module's top level."""
    return frozenset(alias.evaluated_name for statement in module.body
                     if isinstance(statement, cst.SimpleStatementLine) for small in statement.body
                     if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative
                     and dotted_name(small.module) == "alembic" and not isinstance(small.names, cst.ImportStar)
                     for alias in small.names)
