"""Imports for rewrites: how to spell an imported name at given sites, and adding/removing imports.

Adding and removing are LibCST's `AddImportsVisitor` / `RemoveImportsVisitor` driven through a
`CodemodContext`; this module only decides *what* to ask them for:

- `spell(...)` returns the name a rewrite should write for `module.obj` at every one of its sites:
  an existing module-level import (`from sqlalchemy import select as sa_select` → `sa_select`,
  `import sqlalchemy as sa` → `sa.select`), else the bare name with an import to add, else (the
  bare name is bound to something else at a site, e.g. a loop variable `update`) an alias.
- `add_imports` / `remove_unused_imports` apply the result; removal only touches names that are
  no longer referenced anywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import ImportAssignment, MetadataWrapper, QualifiedNameProvider, Scope, ScopeProvider

from .blank_lines import carry_leading_lines, trailing_blanks
from .nodes import QualifiedNames, dotted_name
from .tree import parent_map


@dataclass(frozen=True)
class Import:
    """`from module import obj [as alias]`, or `import module` when `obj` is None."""

    module: str
    obj: str | None
    alias: str | None = None

    @property
    def local(self) -> str:
        return self.alias or self.obj or self.module


@dataclass(frozen=True)
class Spelling:
    text: str
    needs: Import | None = None


def spell(module: cst.Module, scopes: Mapping[cst.CSTNode, Scope | None], wanted: Import,
          sites: Iterable[cst.CSTNode], equivalents: Iterable[str] = ()) -> Spelling:
    """How to write `wanted.module.wanted.obj` so that it means that object at every site.

    `equivalents` are other qualified names of the same object (`sqlalchemy.sql.select`).
    """
    accepted = {f"{wanted.module}.{wanted.obj}", *equivalents}
    site_scopes = [scopes.get(site) for site in sites]
    site_scopes = [scope for scope in site_scopes if scope is not None]
    for statement in module.body:
        for small in _module_level_imports(statement):
            for alias in _aliases(small):
                local = alias.evaluated_alias or alias.evaluated_name
                if isinstance(small, cst.ImportFrom) and _means(site_scopes, local, accepted):
                    return Spelling(local)
                if isinstance(small, cst.Import) and alias.evaluated_name == wanted.module and "." not in local \
                        and _means(site_scopes, local, {wanted.module}):
                    return Spelling(f"{local}.{wanted.obj}")
    candidate = wanted.obj
    counter = 0
    while not _free(site_scopes, candidate) or (counter and _bound_at_module(module, candidate)):
        counter += 1
        candidate = f"sa_{wanted.obj}" if counter == 1 else f"sa_{wanted.obj}_{counter}"
    return Spelling(candidate, Import(wanted.module, wanted.obj, None if candidate == wanted.obj else candidate))


def add_imports(module: cst.Module, imports: Iterable[Import]) -> cst.Module:
    """Each of `imports` that `module` lacks, after its imports (house_style moves them where isort would)."""
    imports = list(dict.fromkeys(imports))
    # isort (without combine_as_imports) gives `from m import a as b` a line of its own, where LibCST would merge
    # it with the other names it imports from `m`.
    own_lines = [item for item in imports if item.obj is not None and item.alias is not None
                 and not _imports_exactly(module, item)]
    merged = [item for item in imports if item not in own_lines]
    if not merged and not own_lines:
        return module
    context = CodemodContext()
    for item in merged:
        AddImportsVisitor.add_needed_import(context, item.module, item.obj, item.alias)
    # AddImportsVisitor needs no metadata: visiting directly spares `transform_module`'s deep copy of the tree.
    with _room_for_every_statement(module):
        updated = module.visit(_AddTopLevelImports(context))
    if any(_SortMergedImports.reorders(merged, statement) for statement in _import_statements(updated)):
        updated = updated.visit(_SortMergedImports(merged))
    if own_lines:
        last = max((i for i, statement in enumerate(updated.body) if _module_level_imports(statement)), default=-1)
        lines = [cst.parse_statement(f"from {item.module} import {item.obj} as {item.alias}") for item in own_lines]
        updated = updated.with_changes(body=[*updated.body[:last + 1], *lines, *updated.body[last + 1:]])
    return updated


def with_name_added(module: cst.Module, item: Import) -> cst.Module | None:
    """`module` with `item`'s name added to its last module-level `from item.module import ...` line, wherever that
    line is (LibCST merges only into the imports at the top); None when it has none."""
    def from_the_module(small: cst.BaseSmallStatement) -> bool:
        return isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
            and not isinstance(small.names, cst.ImportStar) and dotted_name(small.module) == item.module

    lines = [index for index, statement in enumerate(module.body)
             if any(from_the_module(small) for small in _module_level_imports(statement))]
    if not lines:
        return None
    statement = module.body[lines[-1]]
    small = next(small for small in statement.body if from_the_module(small))
    names = list(small.names)
    alias = cst.ImportAlias(cst.Name(item.obj), asname=cst.AsName(cst.Name(item.alias)) if item.alias else None)
    if isinstance(names[-1].comma, cst.Comma):
        # A trailing comma (names one a line in parentheses): the new name takes it, and the last name the
        # separator the others have.
        separator = names[-2].comma if len(names) > 1 else cst.Comma(
            whitespace_after=small.lpar.whitespace_after if small.lpar else cst.SimpleWhitespace(" "))
        names[-1], alias = names[-1].with_changes(comma=separator), alias.with_changes(comma=names[-1].comma)
    else:
        names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    grown = small.with_changes(names=[*names, alias])
    grown = _SortMergedImports([item]).leave_ImportFrom(grown, grown)
    statement = statement.with_changes(body=[grown if s is small else s for s in statement.body])
    return module.with_changes(body=[statement if index == lines[-1] else s for index, s in enumerate(module.body)])


def _imports_exactly(module: cst.Module, item: Import) -> bool:
    return any(isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative
               and dotted_name(small.module) == item.module
               and any(alias.evaluated_name == item.obj and alias.evaluated_alias == item.alias
                       for alias in _aliases(small))
               for statement in module.body for small in _module_level_imports(statement))


# Stack frames LibCST's sequence matcher takes per top-level statement (measured: about one), with room to spare.
FRAMES_PER_STATEMENT = 2


@contextmanager
def _room_for_every_statement(module: cst.Module) -> Iterator[None]:
    """AddImportsVisitor asks whether the module starts with a docstring by matching `Module(body=[docstring,
    ZeroOrMore()])`, which LibCST matches one recursion level per top-level statement: a module with a docstring
    and more than about 900 statements ended in a RecursionError (an internal error on 10,000-line files)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + FRAMES_PER_STATEMENT * len(module.body))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def remove_unused_imports(module: cst.Module, imports: Iterable[Import], modules: Iterable[str] = ()) -> cst.Module:
    """Drop each of `imports` (and `import m` of each of `modules`) that nothing in `module` references any more."""
    imports, modules = list(dict.fromkeys(imports)), list(dict.fromkeys(modules))
    if not imports and not modules:
        return module
    # The remover needs scopes; building them on `module` itself spares `transform_module`'s deep copy of the
    # tree (the remover's visit rebuilds every node anyway, so the result shares none with `module`).
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    if not modules and _referenced(wrapper, imports):
        return module
    _qualified_names_when_asked(wrapper)
    context = CodemodContext(wrapper=wrapper)
    for item in imports:
        RemoveImportsVisitor.remove_unused_import(context, item.module, item.obj, item.alias)
    for name in modules:
        RemoveImportsVisitor.remove_unused_import(context, name)
    return wrapper.visit(_RemoveImportsKeepingLines(context))


def _qualified_names_when_asked(wrapper: MetadataWrapper) -> None:
    """The remover asks for the qualified names of a few calls and subscripts (`cast(...)`, `Literal[...]`: which
    strings hold names); LibCST's provider stores a value for every node of the module, the largest metadata of a
    file (the removal held the peak memory of `check` on benchmarks/bench_large_file.py's 5,000-line module). Given
    these, resolved as asked (the values LibCST's provider gives), the remover's visit finds the provider done.
    LibCST's codemod visitors read the wrapper's `_metadata` themselves: there is no public way to hand them a
    resolved provider (tests/test_large_file_costs.py fails if a LibCST release changes that)."""
    module = wrapper.module
    wrapper._metadata[QualifiedNameProvider] = QualifiedNames(module, wrapper.resolve(ScopeProvider),
                                                              parent_map(module))


def _referenced(wrapper: MetadataWrapper, imports: list[Import]) -> bool:
    """Is every `from` import that could be one of `imports` still referenced in its scope? Then the remover
    would keep them all. It asks the same of the scopes, but only after walking the whole module for `__all__`
    and string annotations (which can only keep more imports): that costs more than the scopes themselves."""
    wanted = {(item.obj, item.alias) for item in imports}
    if None in (obj for obj, _ in wanted):
        return False
    scopes = wrapper.resolve(ScopeProvider)
    for statement in _import_statements(wrapper.module):
        if isinstance(statement.names, cst.ImportStar):
            continue
        for alias in statement.names:
            if (alias.evaluated_name, alias.evaluated_alias) not in wanted:
                continue
            scope = scopes.get(statement)
            local = alias.evaluated_alias or alias.evaluated_name
            if scope is not None and not any(isinstance(assignment, ImportAssignment) and assignment.references
                                             for assignment in scope[local]):
                return False
    return True


class _RemoveImportsKeepingLines(RemoveImportsVisitor):
    """LibCST's import remover drops a line whose imports all go together with the lines above it; here those
    leading lines (a comment about the group, the blank line separating groups) move to whatever follows."""

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        # Per open block (module, indented block): the leading lines of removed lines not yet placed (None:
        # nothing removed since the last kept statement), and whether a statement was kept before them.
        self._pending: list[list[cst.EmptyLine] | None] = []
        self._kept_any: list[bool] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Module, cst.IndentedBlock)):
            self._pending.append(None)
            self._kept_any.append(False)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        result = super().on_leave(original_node, updated_node)
        if isinstance(result, (cst.Module, cst.IndentedBlock)):
            pending = self._pending.pop()
            self._kept_any.pop()
            if pending is not None:
                # At the end of a block only comment lines are worth keeping, not a gap before nothing.
                comments = pending[:len(pending) - trailing_blanks(pending)]
                result = result.with_changes(footer=carry_leading_lines(comments, result.footer, at_start=False))
        elif isinstance(result, cst.SimpleStatementLine) and not result.body:
            pending = self._pending[-1]
            lines = result.leading_lines if pending is None else carry_leading_lines(
                pending, result.leading_lines, at_start=not self._kept_any[-1])
            self._pending[-1] = list(lines)
        elif isinstance(result, cst.BaseStatement) and self._pending:
            pending = self._pending[-1]
            if pending is not None:
                result = result.with_changes(leading_lines=carry_leading_lines(
                    pending, result.leading_lines, at_start=not self._kept_any[-1]))
                self._pending[-1] = None
            self._kept_any[-1] = True
        return result


def _module_level_imports(statement: cst.CSTNode) -> list[cst.Import | cst.ImportFrom]:
    if isinstance(statement, cst.SimpleStatementLine):
        return [s for s in statement.body if isinstance(s, (cst.Import, cst.ImportFrom))]
    return []


def _aliases(node: cst.Import | cst.ImportFrom) -> list[cst.ImportAlias]:
    return list(node.names) if not isinstance(node.names, cst.ImportStar) else []


def _means(site_scopes: list[Scope], local: str, accepted: set[str]) -> bool:
    """At every site, does `local` resolve to exactly one of the accepted qualified names?"""
    for scope in site_scopes:
        names = {q.name for q in scope.get_qualified_names_for(local)}
        if not names or not names <= accepted:
            return False
    return bool(site_scopes)


def _free(site_scopes: list[Scope], local: str) -> bool:
    return all(not scope.get_qualified_names_for(local) for scope in site_scopes)


def _bound_at_module(module: cst.Module, local: str) -> bool:
    """Conservative: any identifier spelled `local` anywhere in the module."""
    return bool(m.findall(module, m.Name(local)))


class _AddTopLevelImports(AddImportsVisitor):
    """LibCST's AddImportsVisitor, kept out of compound statements (functions, classes, `if`s): it only changes
    the module and the imports at its top, and entering the rest (a rebuild of every node, with the matcher
    bookkeeping of a codemod transformer at each) cost more than the whole rewrite that asked for the imports."""

    def visit_Module(self, node: cst.Module) -> None:
        # Its gatherer reads the run of imports the module starts with: let it walk the statements before the
        # first compound one, not the whole tree.
        first_compound = next((i for i, statement in enumerate(node.body)
                               if isinstance(statement, cst.BaseCompoundStatement)), len(node.body))
        super().visit_Module(node.with_changes(body=node.body[:first_compound]))

    def on_visit(self, node: cst.CSTNode) -> bool:
        return super().on_visit(node) and not isinstance(node, cst.BaseCompoundStatement)


def _import_statements(module: cst.Module) -> Iterator[cst.ImportFrom]:
    """Every `from ... import ...` of `module`, nested ones included, found without entering any expression."""
    blocks: list[cst.CSTNode] = [module]
    while blocks:
        block = blocks.pop()
        for child in block.children:
            if isinstance(child, cst.ImportFrom):
                yield child
            elif isinstance(child, (cst.BaseStatement, cst.BaseSuite, cst.ExceptHandler, cst.ExceptStarHandler,
                                    cst.Else, cst.Finally, cst.MatchCase)):
                blocks.append(child)


class _SortMergedImports(cst.CSTTransformer):
    """Keep `from m import a, b` sorted when LibCST merged new names into a list that was sorted before."""

    def __init__(self, added: list[Import]) -> None:
        super().__init__()
        self.added = {(item.module, item.obj, item.alias) for item in added}

    @staticmethod
    def reorders(added: list[Import], statement: cst.ImportFrom) -> bool:
        """Would this transformer change `statement`? (A cheap look before a visit that rebuilds the tree.)"""
        return _SortMergedImports(added).leave_ImportFrom(statement, statement) is not statement

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if updated.module is None or updated.relative or isinstance(updated.names, cst.ImportStar):
            return updated
        module = dotted_name(updated.module)
        names = list(updated.names)
        keys = [alias.evaluated_name for alias in names]
        previous = [key for key, alias in zip(keys, names)
                    if (module, key, alias.evaluated_alias) not in self.added]
        if len(previous) == len(names) or previous != sorted(previous) or keys == sorted(keys):
            return updated
        ordered = sorted(names, key=lambda alias: alias.evaluated_name)
        commas = [alias.comma for alias in names]
        return updated.with_changes(names=[alias.with_changes(comma=comma) for alias, comma in zip(ordered, commas)])
