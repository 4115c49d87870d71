"""A returned Flask-SQLAlchemy query that sqlasync leaves says which caller keeps it; one whose callers all run it
converts with them; a returned plain `session.query(...)` names the rule its callers would have to meet."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from sqlasync.cli import main

APP = {
    "app/__init__.py": """
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
    """,
    "app/models.py": """
        from app import db


        class Author(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(80))


        def named(name):
            return Author.query.filter_by(name=name)


        class Directory:
            def _authors(self):
                authors = Author.query.order_by(Author.name)
                return authors

            def count(self):
                return self._authors().count()
    """,
    "app/views.py": """
        from app.models import named


        def show(name):
            return {"author": named(name)}
    """,
    "app/reports.py": """
        from sqlalchemy.orm import Session


        def recent(session: Session, limit):
            return session.query(Session).limit(limit)
    """,
}


@pytest.fixture
def flask_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in APP.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.sqlasync]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _reasons(capsys, target: str) -> dict[tuple[str, int], str]:
    main(["check", "--no-cache", "--target", target, "--select", "Q", "--format", "json", "app"])
    return {(f["path"], f["line"]): f["reason"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_returned_flask_queries_name_their_callers_and_what_to_do(flask_app, capsys):
    reasons = _reasons(capsys, "sync")
    escaped = reasons[("app/models.py", 10)]
    assert "the call at app/views.py:5 does not finish the query the way Q102 converts" in escaped
    assert "handed on, stored, returned or compared" in escaped
    # `self._authors().count()` is the one call of `_authors()`: both convert together (query_returns.approve_flask).
    assert reasons[("app/models.py", 15)] is None and reasons[("app/models.py", 19)] is None
    plain = reasons[("app/reports.py", 5)]
    assert "nothing in the repository calls `recent()`" in plain
    assert "only a method without parameters besides `self`" in plain


def test_the_async_target_gives_the_flask_session_reason(flask_app, capsys):
    reasons = _reasons(capsys, "async")
    assert "Flask-SQLAlchemy's `db.session` is a sync scoped session" in reasons[("app/models.py", 10)]
