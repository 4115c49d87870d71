"""Helpers of the S/D/E rewrites: route handlers, and the lines kept where LibCST's import remover
drops a statement."""

from __future__ import annotations

import textwrap
from pathlib import Path, PurePosixPath

import libcst as cst
import pytest

from sqlasync.codemods.core.family import FileContext
from sqlasync.codemods.core.imports import Import, remove_unused_imports
from sqlasync.codemods.session.routes import is_route_handler
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


@pytest.mark.parametrize(("before", "expected"), [
    # A removed import between the docstring and the rest keeps the blank line that separated them.
    ('"""Doc."""\n\nfrom a import b\nfrom c import d\n\nx = d\n', '"""Doc."""\n\nfrom c import d\n\nx = d\n'),
    # The first statement removed: what now starts the file starts it without blank lines.
    ("from a import b\n\nfrom c import d\nx = d\n", "from c import d\nx = d\n"),
    # Nothing to remove: nothing changes.
    ("from a import b\n\nx = b\n", "from a import b\n\nx = b\n"),
    # The comment line above a removed import stays, and so does the blank line separating the groups;
    # only the removed import's own trailing comment goes.
    ("import os\n# --- database ---\nfrom a import b  # sync, drop later\n\nfrom c import d\nx = d, os\n",
     "import os\n# --- database ---\n\nfrom c import d\nx = d, os\n"),
    # Two groups' separators meet: one blank line, not two.
    ("import os\n\nfrom a import b\n\nfrom c import d\nx = d, os\n", "import os\n\nfrom c import d\nx = d, os\n"),
    # The separator that came before the removed import stays when the next group followed directly.
    ("import os\n\nfrom a import b\nfrom c import d\nx = d, os\n", "import os\n\nfrom c import d\nx = d, os\n"),
    # Two removed imports in a row, each with its comment.
    ("import os\n# one\nfrom a import b\n# two\nfrom a import e\nx = os\n", "import os\n# one\n# two\nx = os\n"),
    # The last statement of the file removed: its comment stays, no gap is left before the end.
    ("import os\nx = os\n\n# late import\nfrom a import b\n", "import os\nx = os\n\n# late import\n"),
    # Inside a function: the comment stays in the function, indented.
    ("def f():\n    # for the query\n    from a import b\n    return 1\n",
     "def f():\n    # for the query\n    return 1\n"),
])
def test_removed_imports_keep_the_lines_above_them(before: str, expected: str) -> None:
    module = cst.parse_module(before)
    removed = remove_unused_imports(module, [Import("a", "b"), Import("a", "e")])
    assert removed.code == expected
