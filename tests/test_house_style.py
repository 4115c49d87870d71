"""What migrate writes, laid out by the project's own settings: import placement, line length, signature alignment.

Each test hands `in_house_style` a file before and after a (hand-made) rewrite, in a project folder with the
settings under test, and compares the result as text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from sqlasync.codemods.core.house_style import in_house_style
from sqlasync.codemods.core.project_style import style_of


def _styled(root: Path, before: str, after: str) -> str:
    style_of.cache_clear()
    original = cst.parse_module(textwrap.dedent(before))
    return in_house_style(original, cst.parse_module(textwrap.dedent(after)), root).code


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("files", "expected"), [
    ({}, 88),
    ({"pyproject.toml": "[tool.black]\nline-length = 100\n"}, 100),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 110\n"}, 110),
    ({"ruff.toml": "line-length = 99\n[lint.pycodestyle]\nmax-line-length = 105\n"}, 99),
    ({"setup.cfg": "[flake8]\nmax-line-length = 79\n", "pyproject.toml": "[tool.black]\nline-length = 120\n"}, 79),
    ({"tox.ini": "[flake8]\nmax-line-length = 119\n"}, 119),
    ({".flake8": "[flake8]\nmax-line-length = 100\n"}, 100),
])
def test_line_length_is_the_smallest_the_project_tools_enforce(tmp_path, files, expected):
    style_of.cache_clear()
    assert style_of(_project(tmp_path, files)).line_length == expected


def test_new_imports_go_to_their_isort_section_and_order(tmp_path):
    root = _project(tmp_path, {"app/__init__.py": ""})
    before = '''\
        """Jobs."""

        import argparse

        from fastapi import APIRouter

        from app.crud import jobs
        '''
    # Where LibCST puts them: after the last import.
    after = '''\
        """Jobs."""

        import argparse

        from fastapi import APIRouter

        from app.crud import jobs
        import asyncio
        from sqlalchemy.ext.asyncio import AsyncSession
        from sqlalchemy import select
        '''
    assert _styled(root, before, after) == textwrap.dedent('''\
        """Jobs."""

        import argparse
        import asyncio

        from fastapi import APIRouter
        from sqlalchemy import select
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.crud import jobs
        ''')


def test_a_section_the_file_lacks_is_opened_where_isort_puts_it(tmp_path):
    root = _project(tmp_path, {"app/__init__.py": ""})
    before = "# the imports\nfrom app.crud import jobs\n\nx = 1\n"
    after = "# the imports\nfrom app.crud import jobs\nimport pytest\nimport asyncio\n\nx = 1\n"
    assert _styled(root, before, after) == (
        "# the imports\nimport asyncio\n\nimport pytest\n\nfrom app.crud import jobs\n\nx = 1\n")


def test_the_project_settings_decide_the_sections(tmp_path):
    """known-first-party from ruff's isort settings, force-sort-within-sections from isort's own."""
    root = _project(tmp_path, {"pyproject.toml": '[tool.ruff.lint.isort]\nknown-first-party = ["sqlalchemy"]\n'})
    before = "import os\n\nfrom fastapi import APIRouter\n"
    after = "import os\n\nfrom fastapi import APIRouter\nfrom sqlalchemy import select\n"
    assert _styled(root, before, after) == ("import os\n\nfrom fastapi import APIRouter\n\n"
                                            "from sqlalchemy import select\n")
    isort_root = _project(tmp_path / "sorted", {".isort.cfg": "[settings]\nforce_sort_within_sections = true\n"})
    before = "import os\nfrom pathlib import Path\nimport sys\n"
    after = "import os\nfrom pathlib import Path\nimport sys\nimport asyncio\nfrom contextlib import contextmanager\n"
    assert _styled(isort_root, before, after) == (
        "import asyncio\nfrom contextlib import contextmanager\nimport os\nfrom pathlib import Path\nimport sys\n")


def test_the_users_own_imports_keep_their_order_and_lines(tmp_path):
    before = "import sys, os\nfrom zlib import crc32\nimport abc  # first\n\nx = 1\n"
    after = "import sys, os\nfrom zlib import crc32\nimport abc  # first\nimport json\n\nx = 1\n"
    # isort would put json before sys; among lines it does not own it goes after the last that sorts before it.
    assert _styled(tmp_path, before, after) == ("import sys, os\nfrom zlib import crc32\nimport abc  # first\n"
                                                "import json\n\nx = 1\n")


def test_the_first_import_of_a_file_is_set_apart(tmp_path):
    before = '"""Doc."""\ndef f():\n    pass\n'
    after = '"""Doc."""\nimport asyncio\n\ndef f():\n    pass\n'
    assert _styled(tmp_path, before, after) == '"""Doc."""\n\nimport asyncio\n\n\ndef f():\n    pass\n'


def test_a_written_line_past_the_limit_is_broken_as_black_breaks_it(tmp_path):
    root = _project(tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 60\n"})
    untouched = "LONG = ['an untouched line that is far longer than sixty characters', 1]\n"
    before = untouched + "def f(db, user_id):\n    return db.query(User).filter(User.id == user_id).one()\n"
    after = untouched + (
        "async def f(db, user_id):\n"
        "    return (await db.execute(select(User).where(User.id == user_id))).scalar_one()\n")
    assert _styled(root, before, after) == untouched + (
        "async def f(db, user_id):\n"
        "    return (\n"
        "        await db.execute(\n"
        "            select(User).where(User.id == user_id)\n"
        "        )\n"
        "    ).scalar_one()\n")


def test_a_written_signature_past_the_limit_is_broken_and_its_body_kept(tmp_path):
    arguments = "self, first_argument, second_argument, third_argument, fourth_argument"
    before = f"class A:\n    def method({arguments}):\n        pass\n"
    after = f"class A:\n    async def method({arguments}):\n        pass\n"
    assert _styled(tmp_path, before, after) == (
        f"class A:\n    async def method(\n        {arguments}\n    ):\n"
        "        pass\n")



def test_a_file_indented_with_tabs_gets_tabs_on_the_lines_black_indents(tmp_path):
    arguments = "self, first_argument, second_argument, third_argument, fourth_argument"
    before = f"class A:\n\tdef method({arguments}):\n\t\tpass\n"
    after = f"class A:\n\tasync def method({arguments}):\n\t\tpass\n"
    assert _styled(tmp_path, before, after) == f"class A:\n\tasync def method(\n\t\t{arguments}\n\t):\n\t\tpass\n"


def test_a_written_line_with_a_comment_is_left_long(tmp_path):
    before = "x = f(aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbb, ccccccccccccccc)  # noqa: B008\n"
    after = "x = await f(aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbb, ccccccccccccccc)  # noqa: B008\n"
    assert _styled(tmp_path, before, after) == after


def test_continuation_lines_aligned_with_the_sync_head_follow_async(tmp_path):
    before = "def fetch(session,\n          user_id,\n  other):\n    return 1\n"
    after = "async def fetch(session,\n          user_id,\n  other):\n    return 1\n"
    assert _styled(tmp_path, before, after) == (
        "async def fetch(session,\n                user_id,\n  other):\n    return 1\n")
    method = "class A:\n    def fetch(self,\n              user_id):\n        return 1\n"
    made_async = "class A:\n    async def fetch(self,\n              user_id):\n        return 1\n"
    assert _styled(tmp_path, method, made_async) == (
        "class A:\n    async def fetch(self,\n                    user_id):\n        return 1\n")


def test_a_comment_above_a_replaced_only_import_stays_with_it(tmp_path):
    before = '"""Doc."""\n\n# the session type\nfrom sqlalchemy.orm import Session\n\n\ndef f(db: Session):\n    pass\n'
    after = ('"""Doc."""\n\n# the session type\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n\n'
             'async def f(db: AsyncSession):\n    pass\n')
    assert _styled(tmp_path, before, after) == after


@pytest.mark.parametrize("settings", ["profile = no-such-profile\n", "known_first_party = [\n"],
                         ids=["unknown profile", "a known_* entry that is no pattern"])
def test_settings_isort_rejects_leave_its_defaults(tmp_path, settings):
    root = _project(tmp_path, {".isort.cfg": "[settings]\n" + settings, "app/__init__.py": ""})
    before = "import os\n\nfrom app import x\n"
    after = "import os\n\nfrom app import x\nimport asyncio\n"
    assert _styled(root, before, after) == "import asyncio\nimport os\n\nfrom app import x\n"


def test_the_blank_line_above_a_replaced_import_keeps_the_sections_apart(tmp_path):
    """The replaced line opened the third-party section: the line after it takes over its blank line."""
    before = "import os\n\nfrom sqlalchemy.orm import Session\nfrom starlette import status\n\nx = 1\n"
    after = "import os\n\nfrom sqlalchemy.ext.asyncio import AsyncSession\nfrom starlette import status\n\nx = 1\n"
    assert _styled(tmp_path, before, after) == after
    commented = "import os\n\n# the web layer\nfrom sqlalchemy.orm import Session\nfrom starlette import status\n"
    replaced = commented.replace("sqlalchemy.orm import Session", "sqlalchemy.ext.asyncio import AsyncSession")
    assert _styled(tmp_path, commented, replaced) == replaced


def test_a_new_import_of_an_imported_module_sorts_by_its_first_name(tmp_path):
    """isort and ruff order two `from m import` lines of one module by the first name each imports."""
    before = "from sqlalchemy import delete as sa_delete\nfrom sqlalchemy import true as sa_true\n\nx = 1\n"
    after = before.replace("\n\n", "\nfrom sqlalchemy import select\n\n")
    assert _styled(tmp_path, before, after) == (
        "from sqlalchemy import delete as sa_delete\nfrom sqlalchemy import select\n"
        "from sqlalchemy import true as sa_true\n\nx = 1\n")


def test_a_written_f_string_past_the_limit_is_split_between_its_fields(tmp_path):
    """black splits a string at its spaces only; awaits written into an f-string may leave it none."""
    before = 'def f(form):\n    return f"{form.incident.name}-{form.form_type.name}-{form.id}"\n'
    after = ('async def f(form):\n    return f"{(await form.awaitable_attrs.incident).name}-'
             '{(await form.awaitable_attrs.form_type).name}-{form.id}"\n')
    assert _styled(tmp_path, before, after) == (
        'async def f(form):\n    return (\n        f"{(await form.awaitable_attrs.incident).name}-"\n'
        '        f"{(await form.awaitable_attrs.form_type).name}-{form.id}"\n    )\n')
