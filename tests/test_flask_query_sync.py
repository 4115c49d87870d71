"""Q102 under `--target sync` keeps what each Flask-SQLAlchemy query returns: the golden case's legacy module and
its migrated twin run side by side in app contexts on one database (SQLite and PostgreSQL), and every function
gives the same objects, rows, counts, pages and 404s."""

from __future__ import annotations

import types

import pytest
from sqlalchemy.engine import make_url
from support.cases import CASES_DIR, parse_case

flask = pytest.importorskip("flask")
pytest.importorskip("flask_sqlalchemy")
from werkzeug.exceptions import NotFound  # noqa: E402  (werkzeug comes with flask)

CASE = parse_case(CASES_DIR / "Q102" / "flask_sync.py")
CALLS = [
    ("by_name", ("ada",)), ("by_name", ("nobody",)), ("every_author", ()), ("author_count", ()),
    ("the_author", ("ada",)), ("the_author", ("twin",)), ("the_author", ("nobody",)), ("a_title", (1,)),
    ("a_title", (2,)), ("a_title", (3,)), ("author", (1,)), ("author", (99,)), ("author_or_404", (1,)),
    ("author_or_404", (99,)), ("first_or_404", ("twin",)), ("first_or_404", ("nobody",)), ("one_or_404", ("ada",)),
    ("one_or_404", ("twin",)), ("one_or_404", ("nobody",)), ("page", (1,)), ("page", (2,)), ("page", (3,)),
    ("titles", (1, True)), ("titles", (1, False)), ("titles", (99, True)), ("session_query", ("ada",)),
    ("session_query", ("nobody",)), ("books_by", ("ada",)), ("books_by", ("nobody",)),
    ("authors_with_books_of", (1,)), ("authors_with_books_of", (99,)), ("books_joined_count", ("twin",)),
]


def _psycopg2(url: str) -> str:
    """The test databases' PostgreSQL URLs name no driver; psycopg2 is the one the test extras install."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False) if (
        parsed.get_backend_name() == "postgresql") else url


def _module(name: str, source: str, url: str):
    module = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    app = flask.Flask(name)
    app.config["SQLALCHEMY_DATABASE_URI"] = _psycopg2(url)
    module.db.init_app(app)
    return module, app


def _shown(value):
    """A comparable picture of a result: mapped objects by class and key, pages by their items and totals."""
    if hasattr(value, "__table__"):
        return (type(value).__name__, value.id)
    if hasattr(value, "items") and hasattr(value, "total"):
        return ("page", [_shown(item) for item in value.items], value.total, value.pages, value.has_next)
    if isinstance(value, (list, tuple)):
        return [_shown(item) for item in value]
    return value


def _run(module, app, name, args):
    with app.test_request_context():
        try:
            return _shown(getattr(module, name)(*args))
        except NotFound:
            return "404"
        except Exception as exc:  # the legacy and the migrated code must fail alike
            return type(exc).__name__
        finally:
            module.db.session.remove()


def test_migrated_flask_queries_match_legacy_results(database_url) -> None:
    legacy, legacy_app = _module("legacy_flask", CASE.before, database_url)
    migrated, migrated_app = _module("migrated_flask", CASE.after, database_url)
    with legacy_app.app_context():
        legacy.db.create_all()
        names = ["ada", "twin", "twin", "grace"]
        legacy.db.session.add_all([legacy.Author(id=i + 1, name=n) for i, n in enumerate(names)])
        legacy.db.session.add_all([legacy.Book(id=i + 1, title=f"t{i}", author_id=1 + i % 2) for i in range(23)])
        legacy.db.session.commit()
    try:
        differences = {}
        for name, args in CALLS:
            before = _run(legacy, legacy_app, name, args)
            after = _run(migrated, migrated_app, name, args)
            if before != after:
                differences[f"{name}{args}"] = (before, after)
        assert differences == {}
    finally:
        with legacy_app.app_context():
            legacy.db.drop_all()
            legacy.db.engine.dispose()
        with migrated_app.app_context():
            migrated.db.engine.dispose()
