"""Add `AsyncAttrs` to a declarative base class, for code that must await lazy loads.

`Base(AsyncAttrs, DeclarativeBase)` gives every model `await obj.awaitable_attrs.relationship`.
E103 writes `class Base(DeclarativeBase)`; a rewrite that converts lazy loads calls this on the
module that defines the base.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from . import imports
from .evidence import dotted_name

ASYNC_ATTRS = imports.Import("sqlalchemy.ext.asyncio", "AsyncAttrs")
EQUIVALENTS = ("sqlalchemy.ext.asyncio.session.AsyncAttrs",)


def add_async_attrs(module: cst.Module, class_name: str) -> cst.Module:
    """`module` with `AsyncAttrs` first among the bases of its module-level class `class_name` (unchanged
    when the class is missing or already has it)."""
    classes = [s for s in module.body if isinstance(s, cst.ClassDef) and s.name.value == class_name]
    if not classes:
        return module
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    spelling = imports.spell(module, wrapper.resolve(ScopeProvider), ASYNC_ATTRS, classes, EQUIVALENTS)
    target = classes[0]
    if any((dotted_name(base.value) or "").split(".")[-1] == "AsyncAttrs" for base in target.bases):
        return module
    mixin = cst.Arg(cst.parse_expression(spelling.text), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    updated = module.with_changes(body=[
        s.with_changes(bases=[mixin, *s.bases]) if s is target else s for s in module.body
    ])
    return imports.add_imports(updated, [spelling.needs] if spelling.needs is not None else [])
