"""Helpers of the S/D/E rewrites: route handlers, and the blank lines kept where LibCST's import remover
drops a statement."""

from __future__ import annotations

import textwrap
from pathlib import Path, PurePosixPath

import libcst as cst
import pytest

from sqlasync.codemods.blank_lines import removed_statements_keep_spacing
from sqlasync.codemods.family import FileContext
from sqlasync.codemods.routes import is_route_handler
from sqlasync.config import Config


def _handlers(source: str) -> dict[str, bool]:
    module = cst.parse_module(textwrap.dedent(source))
    context = FileContext(PurePosixPath("routes.py"), Config(root=Path("/nonexistent")), cst.MetadataWrapper(module))
    functions = [s for s in context.module.body if isinstance(s, cst.FunctionDef)]
    return {f.name.value: is_route_handler(context.evidence, f) for f in functions}


def test_route_handlers_are_recognised_by_their_router() -> None:
    assert _handlers("""
        from fastapi import APIRouter, FastAPI
        import functools

        shop = APIRouter(prefix="/shop")
        service = FastAPI()
        cache = functools.lru_cache


        @shop.get("/items")
        def on_named_router(): ...


        @service.post("/orders")
        def on_app(): ...


        @items_router.delete("/{id}")
        def by_convention(): ...


        @cache.get("/x")
        def not_a_router(): ...


        @shop.get
        def not_called(): ...


        def plain(): ...
    """) == {"on_named_router": True, "on_app": True, "by_convention": True, "not_a_router": False,
             "not_called": False, "plain": False}


@pytest.mark.parametrize(("before", "removed", "expected"), [
    # A removed import between the docstring and the rest keeps the blank line that separated them.
    ('"""Doc."""\n\nfrom a import b\nfrom c import d\n\nx = d\n', [1], '"""Doc."""\n\nfrom c import d\n\nx = d\n'),
    # The first statement removed: what now starts the file starts it without blank lines.
    ("from a import b\n\nfrom c import d\n", [0], "from c import d\n"),
    # Nothing removed: nothing changes.
    ("import a\n\nx = a\n", [], "import a\n\nx = a\n"),
])
def test_blank_lines_of_removed_statements_are_kept(before: str, removed: list[int], expected: str) -> None:
    module = cst.parse_module(before)
    # What LibCST's import remover leaves: the statements gone, their leading lines with them.
    after = module.with_changes(body=[s for i, s in enumerate(module.body) if i not in removed])
    assert removed_statements_keep_spacing(module, after).code == expected
