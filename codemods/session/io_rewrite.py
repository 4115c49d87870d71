"""Apply the S matches of one file: `await` session I/O, `async with` transactions, AsyncSession annotations."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from ..core import imports
from ..core.blank_lines import definitions_spaced_from_imports
from ..core.family import FileContext
from ..core.nodes import dotted_name
from ..core.rule import Match
from ..core.session_sources import drop_unused_imports
from .io_rules import EQUIVALENTS, AnnotationSite


def rewrite(context: FileContext, matches: list[Match]) -> cst.Module:
    module = context.wrapper.module
    scopes = context.wrapper.resolve(ScopeProvider)
    annotations = [match.data for match in matches if match.rule.code == "S102"]
    spellings: dict[tuple[str, str], imports.Spelling] = {}
    for twin in sorted({twin for site in annotations for twin in site.twins}):
        sites = [node for site in annotations if twin in site.twins for node in (site.parts or (site.string,))]
        spellings[twin] = imports.spell(module, scopes, imports.Import(*twin), sites, EQUIVALENTS[twin])
    replacer = _Apply(matches, {twin: spelling.text for twin, spelling in spellings.items()})
    updated = module.visit(replacer)
    updated = imports.add_imports(updated, [s.needs for s in spellings.values() if s.needs is not None])
    updated = drop_unused_imports(updated, replacer.replaced_names - context.imported_by_others())
    return definitions_spaced_from_imports(module, updated)


class _Apply(cst.CSTTransformer):
    def __init__(self, matches: list[Match], spellings: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.awaits = {id(match.node): match.data for match in matches if match.rule.code == "S101"}
        self.blocks = {id(match.node) for match in matches if match.rule.code == "S103"}
        for match in matches:
            if match.rule.code == "S103":
                self.awaits.update((id(call), False) for call in match.data)
        self.spellings = spellings
        self.parts: dict[int, tuple[str, str]] = {}
        self.either: set[int] = set()
        self.strings: dict[int, AnnotationSite] = {}
        for match in matches:
            if match.rule.code != "S102":
                continue
            site: AnnotationSite = match.data
            if site.string is not None:
                self.strings[id(site.string)] = site
            self.parts.update((id(part), twin) for part, twin in zip(site.parts, site.twins))
            if site.either:
                self.either.update(id(part) for part in site.parts)
        self.replaced_names: set[str] = set()

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        key = id(original)
        if key in self.awaits:
            parentheses = self.awaits[key]
            return cst.Await(updated, lpar=[cst.LeftParen()] if parentheses else [],
                             rpar=[cst.RightParen()] if parentheses else [])
        if key in self.blocks:
            return updated.with_changes(asynchronous=cst.Asynchronous())
        if key in self.parts and key in self.either:
            return cst.BinaryOperation(_spelled(self.spellings[self.parts[key]]), cst.BitOr(), updated)
        if key in self.parts:
            self.replaced_names.add(_head(original))
            return _spelled(self.spellings[self.parts[key]]).with_changes(lpar=updated.lpar, rpar=updated.rpar)
        if key in self.strings:
            return self._string(updated, self.strings[key])
        return updated

    def _string(self, string: cst.SimpleString, site: AnnotationSite) -> cst.SimpleString:
        """`"orm.Session"` → `"AsyncSession"`: the same replacement inside the quoted expression."""
        prefix, quote = string.prefix, string.quote
        inner = string.value[len(prefix) + len(quote):-len(quote)]
        expression = cst.parse_expression(inner)
        spelled = self.spellings[site.twins[0]]
        renamed = expression.visit(_RenameSessionTypes(spelled))
        return string.with_changes(value=f"{prefix}{quote}{cst.Module([]).code_for_node(renamed)}{quote}")


class _RenameSessionTypes(cst.CSTTransformer):
    """Inside a string annotation there is no scope information: `Session` is recognised by its spelling."""

    def __init__(self, spelled: str) -> None:
        super().__init__()
        self.spelled = spelled

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return _spelled(self.spelled) if dotted_name(original) in ("orm.Session", "sqlalchemy.orm.Session") else updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return _spelled(self.spelled) if original.value == "Session" else updated


def _spelled(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _head(node: cst.CSTNode) -> str:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""
