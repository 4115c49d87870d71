"""A name added to an import line the module already has, wherever that line is (imports.with_name_added)."""

from __future__ import annotations

import libcst as cst
import pytest

from sqlasync.codemods.core.imports import Import, with_name_added

HELPER = Import("app.database", "async_database_url")


@pytest.mark.parametrize(("before", "after"), [
    ("import sys\nsys.path.append('..')\nfrom app.database import Base  # noqa: E402\n",
     "import sys\nsys.path.append('..')\nfrom app.database import Base, async_database_url  # noqa: E402\n"),
    ("x = 1\nfrom app.database import (\n    Base,\n    engine,\n)\n",
     "x = 1\nfrom app.database import (\n    Base,\n    async_database_url,\n    engine,\n)\n"),
    ("from app.database import (\n    Base,\n)\n",
     "from app.database import (\n    Base,\n    async_database_url,\n)\n"),
    ("from app.database import Session, engine\n", "from app.database import Session, async_database_url, engine\n"),
], ids=["after the path set-up", "one a line", "one name one a line", "kept sorted"])
def test_the_name_joins_the_line_laid_out_as_its_names(before: str, after: str) -> None:
    assert with_name_added(cst.parse_module(before), HELPER).code == after


def test_a_module_without_such_a_line_gets_none() -> None:
    module = cst.parse_module("from app.models import Base\nfrom . import database\n")
    assert with_name_added(module, HELPER) is None
