"""Under the async target a Flask app is left as Flask runs it: no `await` on Flask-SQLAlchemy's sync session,
no `async def` for what Flask or Flask-RESTful call synchronously, and every site left says why."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from sqlasync.cli import main

APP = {
    "app/__init__.py": """
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        app = Flask(__name__)
    """,
    "app/models.py": """
        from app import db


        class User(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(80))
    """,
    "app/views.py": """
        from flask import jsonify
        from flask_restful import Resource

        from app import app, db
        from app.models import User


        @app.route("/users/<int:user_id>")
        def show(user_id):
            user = db.session.query(User).filter_by(id=user_id).first()
            return jsonify(name=user.name)


        class UserResource(Resource):
            def get(self, user_id):
                return {"name": User.query.get(user_id).name}

            def post(self):
                db.session.add(User(name="new"))
                db.session.commit()
                return {"ok": True}
    """,
    # The extension reached as a module attribute and through an import alias (redash writes `models.db`).
    "app/admin_views.py": """
        import app.models as m
        from app import app, models
        from app import db as database


        @app.route("/admin/users/<int:user_id>", methods=["DELETE"])
        def delete_user(user_id):
            models.db.session.delete(models.User.query.get(user_id))
            models.db.session.commit()
            return "", 204


        @app.route("/admin/users", methods=["POST"])
        def add_user():
            database.session.add(m.User(name="new"))
            database.session.commit()
            m.db.session.flush()
            return "", 201
    """,
    # A plain SQLAlchemy factory used from a view and from a resource: the I/O would need async, which
    # neither Flask nor Flask-RESTful can await.
    "app/reporting.py": """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("sqlite:///./reports.db")
        ReportSession = sessionmaker(bind=engine)
    """,
    "app/report_views.py": """
        from flask import jsonify
        from flask_restful import Resource
        from sqlalchemy import text

        from app import app
        from app.reporting import ReportSession


        def count_rows():
            with ReportSession() as session:
                return session.execute(text("SELECT 1")).scalar()


        @app.route("/reports/count")
        def report_count():
            return jsonify(count=count_rows())


        class ReportResource(Resource):
            def get(self):
                return {"count": count_rows()}
    """,
    "pyproject.toml": "[tool.sqlasync]\n",
}


@pytest.fixture
def flask_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in APP.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _findings(capsys, *paths: str) -> list[dict]:
    main(["check", "--no-cache", "--format", "json", *paths])
    return json.loads(capsys.readouterr().out)["findings"]


def test_flask_sqlalchemy_session_is_never_awaited_and_says_to_use_the_sync_target(flask_app, capsys):
    views = [f for f in _findings(capsys, "app/views.py") if f["path"] == "app/views.py"]
    assert sorted(f["code"] for f in views) == ["Q101", "Q102", "S101"]
    for finding in views:
        assert not finding["fixable"]
        assert "Flask-SQLAlchemy's `db.session` is a sync scoped session" in finding["reason"]
        assert "--target sync" in finding["reason"]


def test_module_attribute_and_aliased_extension_sessions_are_flask_sqlalchemy_too(flask_app, capsys):
    sessions = [f for f in _findings(capsys, "app/admin_views.py") if f["code"] == "S101"]
    assert len(sessions) == 4
    for finding in sessions:
        assert not finding["fixable"]
        assert "--target sync" in finding["reason"]


def test_views_and_resource_methods_stay_sync_with_the_framework_as_reason(flask_app, capsys):
    kept = {f["message"].split("`")[1]: f["message"] for f in _findings(capsys, "app/report_views.py")
            if f["code"] == "F107"}
    assert "Flask calls its views synchronously" in kept["count_rows"] \
        or "Flask-RESTful calls `get()` synchronously" in kept["count_rows"]
    assert not [f for f in _findings(capsys, "app/report_views.py") if f["code"] in ("F101", "F103")]


def test_migrate_writes_no_await_and_no_async_def_into_the_flask_app(flask_app, capsys):
    before = {p: (flask_app / p).read_bytes() for p in APP}
    main(["migrate", "--no-cache", "--allow-dirty", "app/views.py", "app/admin_views.py", "app/models.py",
          "app/__init__.py"])
    assert {p: (flask_app / p).read_bytes() for p in APP} == before
