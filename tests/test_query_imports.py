"""The shared import helper: spelling an imported name at given sites, adding and removing imports."""

from __future__ import annotations

import sys
import textwrap

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.metadata import ScopeProvider

from sqlasync.codemods.core.imports import Import, Spelling, add_imports, remove_unused_imports, spell

SELECT = Import("sqlalchemy", "select")
EQUIVALENTS = ("sqlalchemy.future.select",)


def _spell(source: str) -> Spelling:
    """How to write `select` at every `return` statement of `source`."""
    wrapper = cst.MetadataWrapper(cst.parse_module(textwrap.dedent(source)))
    sites = m.findall(wrapper.module, m.Return())
    return spell(wrapper.module, wrapper.resolve(ScopeProvider), SELECT, sites, EQUIVALENTS)


@pytest.mark.parametrize(("source", "expected"), [
    ("def f():\n    return 1\n", Spelling("select", SELECT)),
    ("from sqlalchemy import select\n\ndef f():\n    return 1\n", Spelling("select")),
    ("from sqlalchemy.future import select as s\n\ndef f():\n    return 1\n", Spelling("s")),
    ("import sqlalchemy as sa\n\ndef f():\n    return 1\n", Spelling("sa.select")),
    ("def f(select):\n    return 1\n", Spelling("sa_select", Import("sqlalchemy", "select", "sa_select"))),
    ("from sqlmodel import select\n\ndef f():\n    return 1\n",
     Spelling("sa_select", Import("sqlalchemy", "select", "sa_select"))),
    # the existing import is shadowed at one site: every site gets the alias
    ("from sqlalchemy import select\n\ndef f():\n    return 1\n\ndef g():\n    select = 2\n    return select\n",
     Spelling("sa_select", Import("sqlalchemy", "select", "sa_select"))),
    ("sa_select = 1\n\ndef f(select):\n    return 1\n",
     Spelling("sa_select_2", Import("sqlalchemy", "select", "sa_select_2"))),
], ids=["free", "imported", "imported-aliased-equivalent", "module-alias", "shadowed-by-parameter",
        "other-library", "shadowed-at-one-site", "alias-taken"])
def test_spelling(source, expected) -> None:
    assert _spell(source) == expected


def test_added_names_join_an_existing_sorted_import_in_order() -> None:
    """An aliased name gets a line of its own, as isort (without combine_as_imports) writes it."""
    module = cst.parse_module("from sqlalchemy import func, text\n\nx = 1\n")
    updated = add_imports(module, [SELECT, Import("sqlalchemy", "update", "sa_update"), SELECT])
    assert updated.code == (
        "from sqlalchemy import func, select, text\nfrom sqlalchemy import update as sa_update\n\nx = 1\n")


def test_an_unsorted_import_list_is_not_reordered() -> None:
    module = cst.parse_module("from sqlalchemy import text, func\n")
    updated = add_imports(module, [SELECT])
    assert updated.code.count("text") == 1 and "func" in updated.code and "select" in updated.code
    assert updated.code.index("text") < updated.code.index("func")


def test_a_new_import_follows_the_existing_ones() -> None:
    module = cst.parse_module('"""Doc."""\nfrom app.models import Job\n\n\ndef f():\n    pass\n')
    assert add_imports(module, [SELECT]).code == (
        '"""Doc."""\nfrom app.models import Job\nfrom sqlalchemy import select\n\n\ndef f():\n    pass\n'
    )


def test_only_unreferenced_imports_are_removed() -> None:
    module = cst.parse_module("from sqlalchemy import func, select\nfrom sqlalchemy.orm import Query\n\nq = select\n")
    updated = remove_unused_imports(module, [Import("sqlalchemy", "func"), SELECT])
    assert updated.code == "from sqlalchemy import select\nfrom sqlalchemy.orm import Query\n\nq = select\n"


def test_nothing_to_do_returns_the_same_module() -> None:
    module = cst.parse_module("x = 1\n")
    assert add_imports(module, []) is module
    assert remove_unused_imports(module, []) is module


def test_imports_are_added_to_a_module_with_a_docstring_and_thousands_of_statements() -> None:
    # LibCST's import adder matches the module body one recursion level per statement (issue 13's large file).
    source = '"""A very long module."""\nimport os\n' + "".join(f"value_{i} = {i}\n" for i in range(6000))
    limit = sys.getrecursionlimit()
    updated = add_imports(cst.parse_module(source), [Import("sqlalchemy", "select", None)])
    assert updated.code.startswith('"""A very long module."""\nimport os\nfrom sqlalchemy import select\n')
    assert sys.getrecursionlimit() == limit
