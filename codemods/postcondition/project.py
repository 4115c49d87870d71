"""The program the post-condition reads: every module of the project as it is after the run, by name.

Read with the standard library's `ast`, independently of the families' LibCST analysis: the check
must not share the blind spots of the code it checks. A module's top-level names are kept as
*bindings* (an assigned expression, a `def`, a `class`, an import) and resolved lazily.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..index.repo_index import locate_module, namespace_module


CONTAINER_LITERALS = (ast.Dict, ast.List, ast.Set, ast.Tuple, ast.DictComp, ast.ListComp, ast.SetComp)


@dataclass(frozen=True)
class Imported:
    """A name bound by an import: the absolute dotted name it stands for."""

    fqn: str


@dataclass(frozen=True)
class ModuleRef:
    """`import a.b` binds `a`: the package, whose attributes are its submodules and globals."""

    fqn: str


@dataclass(frozen=True)
class Entered:
    """What `with X as name` binds: X entered, synchronously or with `async with`."""

    context: ast.expr
    asynchronous: bool


@dataclass(frozen=True)
class Unpacked:
    """`a, b = value`: element `index` of `value` (a tuple literal, or a call returning one)."""

    value: ast.expr
    index: int


@dataclass(frozen=True)
class Declared:
    """`table: dict[str, type[Migrator]] = {}`: a container literal says nothing its annotation does not."""

    annotation: ast.expr


@dataclass(frozen=True)
class Unknown:
    """A name bound by something the check does not follow (a loop target, an `except ... as`)."""


Binding = (Entered | Unpacked | Declared | Unknown | ast.expr | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
           | Imported | ModuleRef)


@dataclass(eq=False)
class Module:
    path: str
    name: str
    package: str
    source_root: str
    tree: ast.Module
    bindings: dict[str, list[Binding]] = field(default_factory=dict)


class Project:
    """Every parsable module of the project, addressable by file and by dotted name."""

    def __init__(self, sources: Mapping[str, bytes]) -> None:
        self.modules: dict[str, Module] = {}
        self._by_name: dict[str, list[str]] = {}
        self._conftests: dict[Path, Module] | None = None
        for path, source in sources.items():
            try:
                tree = ast.parse(source, filename=path)
            except (SyntaxError, ValueError, RecursionError):  # RecursionError: nested past what Python compiles
                continue
            location = locate_module(Path(path))
            module = Module(path, location.module, location.package, location.source_root, tree)
            module.bindings = scope_bindings(tree.body, module)
            self.modules[path] = module
            self._by_name.setdefault(location.module, []).append(path)
        for path in self.modules:
            alias = namespace_module(Path(path))
            if alias is not None and alias not in self._by_name:
                self._by_name[alias] = [path]

    def module_named(self, name: str, origin: str) -> Module | None:
        """The module `name` as imported from file `origin` (the nearest source root wins)."""
        candidates = self._by_name.get(name)
        if not candidates:
            return None
        if len(candidates) == 1:
            return self.modules[candidates[0]]
        origin_root = self.modules[origin].source_root if origin in self.modules else ""
        same_root = [c for c in candidates if self.modules[c].source_root == origin_root]
        return self.modules[(same_root or sorted(candidates))[0]]

    def conftests_for(self, path: str) -> Iterator[Module]:
        """conftest.py modules whose fixtures a test in `path` sees, nearest first."""
        if self._conftests is None:
            self._conftests = {Path(p).absolute().parent: m for p, m in self.modules.items()
                               if Path(p).name == "conftest.py"}
        folder = Path(path).absolute().parent
        for candidate in (folder, *folder.parents):
            if candidate in self._conftests:
                yield self._conftests[candidate]


def scope_bindings(body: list[ast.stmt], module: Module) -> dict[str, list[Binding]]:
    """The names a block of statements binds (descending into if/try/with/for, not into defs)."""
    bindings: dict[str, list[Binding]] = {}

    def bind(name: str, value: Binding) -> None:
        bindings.setdefault(name, []).append(value)

    def target(node: ast.expr, value: Binding | None) -> None:
        if isinstance(node, ast.Name):
            bind(node.id, value if value is not None else Unknown())
        elif isinstance(node, (ast.Tuple, ast.List)):
            plain = value is not None and not any(isinstance(element, ast.Starred) for element in node.elts)
            for index, element in enumerate(node.elts):
                target(element, Unpacked(value, index) if plain else None)
        elif isinstance(node, ast.Starred):
            target(node.value, None)

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(statement.name, statement)
            elif isinstance(statement, ast.Assign):
                for node in statement.targets:
                    target(node, statement.value)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and isinstance(statement.value, CONTAINER_LITERALS):
                bind(statement.target.id, Declared(statement.annotation))
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target(statement.target, statement.value)
            elif isinstance(statement, ast.AnnAssign):
                # `db: AsyncSession` with no value: the annotation is all we know.
                if isinstance(statement.target, ast.Name):
                    bind(statement.target.id, ast.Call(func=statement.annotation, args=[], keywords=[]))
            elif isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.asname:
                        bind(alias.asname, Imported(alias.name))
                    else:
                        bind(alias.name.partition(".")[0], ModuleRef(alias.name.partition(".")[0]))
            elif isinstance(statement, ast.ImportFrom):
                base = absolute_module(statement, module)
                for alias in statement.names:
                    if alias.name != "*":
                        bind(alias.asname or alias.name, Imported(f"{base}.{alias.name}" if base else alias.name))
            elif isinstance(statement, (ast.For, ast.AsyncFor)):
                target(statement.target, None)
                visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, (ast.With, ast.AsyncWith)):
                for item in statement.items:
                    if item.optional_vars is not None:
                        target(item.optional_vars, Entered(item.context_expr, isinstance(statement, ast.AsyncWith)))
                visit(statement.body)
            elif isinstance(statement, ast.If):
                visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, ast.While):
                visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                visit(statement.body)
                for handler in statement.handlers:
                    if handler.name:
                        bind(handler.name, Unknown())
                    visit(handler.body)
                visit(statement.orelse)
                visit(statement.finalbody)
            elif isinstance(statement, ast.Match):
                for case in statement.cases:
                    visit(case.body)

    visit(body)
    return bindings


def absolute_module(statement: ast.ImportFrom, module: Module) -> str:
    """`from ..x import y` seen from `module`: the absolute name of `..x`."""
    if not statement.level:
        return statement.module or ""
    package = module.package.split(".") if module.package else []
    if statement.level > 1:
        package = package[: len(package) - (statement.level - 1)]
    return ".".join(part for part in (*package, statement.module or "") if part)
