"""Where a rewritten file gets `get_db` and the session factory (`SessionLocal`) from.

In order: a module-level definition in the file itself, a module-level import the file already has,
then `get-db` / `session-factory` in `[tool.sqlasync]` ("package.module:name").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from sqlasync.config import Config

from .nodes import dotted_name
from .imports import Import, remove_unused_imports


@dataclass(frozen=True)
class Source:
    """A name to call, and the import that binds it (None when the file defines or imports it already)."""

    name: str
    needs: Import | None = None
    where: str = "this file"


def get_db_source(module: cst.Module, config: Config) -> Source | None:
    return _source(module, config.get_db_names, config.get_db)


def session_factory_source(module: cst.Module, config: Config) -> Source | None:
    return _source(module, config.session_factories, config.session_factory)


def _source(module: cst.Module, names: Iterable[str], configured: str | None) -> Source | None:
    wanted = set(names)
    target = _parse(configured) if configured else None
    if target is not None:
        wanted = {target[1]}
    for statement in module.body:
        defined = _defined_name(statement)
        if defined in wanted:
            return Source(defined)
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    if alias.evaluated_name in wanted:
                        origin = "." * len(small.relative) + (dotted_name(small.module) or "" if small.module else "")
                        return Source(alias.evaluated_alias or alias.evaluated_name, where=origin)
    if target is not None:
        return Source(target[1], Import(*target), target[0])
    return None


def _defined_name(statement: cst.CSTNode) -> str | None:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return statement.name.value
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                return small.targets[0].target.value
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                return small.target.value
    return None


def _parse(configured: str) -> tuple[str, str] | None:
    module, separator, name = configured.partition(":")
    if not separator:
        module, _, name = configured.rpartition(".")
    return (module, name) if module and name.isidentifier() else None


def drop_unused_imports(module: cst.Module, names: set[str]) -> cst.Module:
    """Remove the module-level imports of `names` (`from x import name`, `import x as name`) that nothing uses any
    more."""
    return remove_unused_imports(module, imports_binding(module, names))


def imports_binding(module: cst.Module, names: set[str]) -> list[Import]:
    """The module-level imports that bind any of `names` (candidates for removal): `from x import name`, and
    `import name` / `import x as name` (`sa` of `sa.create_engine(...)`)."""
    found = []
    for statement in module.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                    and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    if (alias.evaluated_alias or alias.evaluated_name) in names:
                        found.append(Import(dotted_name(small.module) or "", alias.evaluated_name,
                                            alias.evaluated_alias))
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if (alias.evaluated_alias or alias.evaluated_name.partition(".")[0]) in names:
                        found.append(Import(alias.evaluated_name, None, alias.evaluated_alias))
    return found
