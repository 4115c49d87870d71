"""Functions returning a Flask-SQLAlchemy query, converted with their callers in other modules, keep what every
caller gets: the repository golden case's legacy package (before/) and its migrated twin (after/) run side by side
in app contexts on one database (SQLite and PostgreSQL): the same objects, counts, first rows, indexes and slices
(a function's own `limit()` included) and the same exceptions."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from support.cases import CASES_DIR

pytest.importorskip("flask")
pytest.importorskip("flask_sqlalchemy")

CASE = CASES_DIR / "Q102" / "flask_returned_across_modules"
CALLS = [
    ("views", "list_groups", ("a",)), ("views", "list_groups", ("none",)), ("views", "count_groups", ("a",)),
    ("views", "count_groups", ("none",)), ("views", "first_group", ("a",)), ("views", "first_group", ("none",)),
    ("views", "recent", ()), ("views", "some_groups", ("a",)), ("views", "some_groups", ("b",)),
    ("views", "group_list", ("b",)), ("reports", "recent_names", ()), ("reports", "newest", ()),
    ("models", "latest", (2,)), ("models", "Group.named", ("a", "x")), ("models", "Group.named", ("b", "q")),
    ("views", "populated", ("a", True)), ("views", "populated", ("a", False)), ("views", "populated", ("b", False)),
    ("views", "visible_groups", ("a", True)), ("views", "visible_groups", ("a", False)),
]


def _psycopg2(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False) if (
        parsed.get_backend_name() == "postgresql") else url


def _package(root: Path, url: str) -> dict:
    """The modules of the case's `app` package under `root`, imported afresh (both trees name it `app`)."""
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        modules = {name: importlib.import_module(f"app.{name}") for name in ("models", "views", "reports")}
        modules["app"] = importlib.import_module("app")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]
    package = modules["app"]
    package.app.config["SQLALCHEMY_DATABASE_URI"] = _psycopg2(url)
    package.db.init_app(package.app)
    return modules


def _shown(value):
    if hasattr(value, "__table__"):
        return (type(value).__name__, value.id)
    if isinstance(value, (list, tuple)):
        return [_shown(item) for item in value]
    return value


def _run(modules, module, name, args, capsys):
    package = modules["app"]
    with package.app.app_context():
        try:
            function = modules[module]
            for part in name.split("."):
                function = getattr(function, part)
            result = function(*args)
            if module == "models" and not isinstance(result, list):  # what the function returns, run as is
                result = result.all() if hasattr(result, "all") else package.db.session.scalars(result).all()
            return _shown(result), capsys.readouterr().out
        except Exception as exc:  # the legacy and the migrated code must fail alike
            return type(exc).__name__
        finally:
            package.db.session.remove()


def test_returned_queries_and_their_callers_match_legacy_results(database_url, capsys, tmp_path) -> None:
    legacy = _package(CASE / "before", database_url)
    # after/ holds the files migrate changes; the others are before/'s.
    shutil.copytree(CASE / "before", tmp_path / "after")
    shutil.copytree(CASE / "after", tmp_path / "after", dirs_exist_ok=True)
    migrated = _package(tmp_path / "after", database_url)
    package = legacy["app"]
    with package.app.app_context():
        package.db.create_all()
        rows = [("a", "x1"), ("a", "y"), ("b", "x2"), ("a", "x3"), ("b", "z"), ("a", "w")]
        package.db.session.add_all([legacy["models"].Group(id=i + 1, org=org, name=name)
                                    for i, (org, name) in enumerate(rows)])
        # Groups 1 and 4 have two members each: the join repeats them (the legacy Query de-duplicated).
        package.db.session.add_all([legacy["models"].Member(id=i + 1, group_id=group)
                                    for i, group in enumerate((1, 1, 2, 4, 4, 3))])
        package.db.session.commit()
    try:
        differences = {}
        shown = []
        for module, name, args in CALLS:
            before = _run(legacy, module, name, args, capsys)
            shown.append(before)
            after = _run(migrated, module, name, args, capsys)
            if before != after:
                differences[f"{module}.{name}{args}"] = (before, after)
        assert differences == {}
        # The legacy package really ran: names, counts and objects, no exception.
        assert not any(isinstance(result, str) for result in shown)
        assert (["x1", "y", "x3", "w"], "") in shown and (4, "") in shown and (("Group", 6), "") in shown
        assert ([1, 2, 4], "") in shown
        named = [(_run(tree, "models", "latest", (None,), capsys)) for tree in (legacy, migrated)]
        assert named[0] == named[1] and len(named[0][0]) == len(rows)
    finally:
        with package.app.app_context():
            package.db.drop_all()
