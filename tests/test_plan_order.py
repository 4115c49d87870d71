"""The order `sqlasync plan` takes files in (toolkit/plan_order.py): along the import graph of a real tree on
disk, what the rest imports first, each test right after the code it imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqlasync.plan_order import file_dependencies, is_test, ordered, units_of

PROJECT = {
    "app/__init__.py": "",
    "app/database.py": "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n",
    "app/dao.py": "from app.database import SessionLocal\n",
    "app/api.py": "from . import dao\n",
    "app/cycle_a.py": "from app import cycle_b\n",
    "app/cycle_b.py": "from app.cycle_a import x\n",
    "tests/test_api.py": "from app.api import router\n",
    "tests/test_dao.py": "import app.dao\n",
    "tests/test_misc.py": "import json\n",
}


def _order(tmp_path: Path, by: str = "file") -> list[str]:
    paths = {}
    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        paths[name] = path
    sources = {name: path.read_bytes() for name, path in paths.items()}
    work = [name for name in PROJECT if not name.endswith("__init__.py")]
    dependencies = file_dependencies({name: paths[name] for name in work}, sources, tmp_path)
    return [unit.name for unit in ordered(units_of(work, by), dependencies)]


def test_the_database_module_comes_first_and_each_test_right_after_its_code(tmp_path):
    order = _order(tmp_path)
    assert order[:5] == ["app/database.py", "app/dao.py", "tests/test_dao.py", "app/api.py", "tests/test_api.py"]
    # An import cycle is broken by name; a test that imports nothing of the project goes last.
    assert order[5:] == ["app/cycle_a.py", "app/cycle_b.py", "tests/test_misc.py"]


def test_folders_are_units_of_their_files(tmp_path):
    assert _order(tmp_path, by="directory") == ["app", "tests"]
    assert units_of(["app/a.py", "app/b.py", "main.py"], "directory")[0].files == ("main.py",)


def test_tests_are_recognised_by_name_and_folder():
    assert [is_test(p) for p in ("tests/helpers.py", "conftest.py", "app/test_x.py", "app/x_test.py",
                                 "app/testing.py")] == [True, True, True, True, False]
