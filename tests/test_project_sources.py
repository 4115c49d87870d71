"""Project facts a run derives before any file is analysed: session factory, get_db, registrations to keep."""

from __future__ import annotations

from pathlib import Path

from sqlasync import project_sources
from sqlasync.closure import sound_migrations
from sqlasync.config import Config
from sqlasync.discovery import discover
from sqlasync.project_sources import with_project_sources
from sqlasync.runner import Options
from sqlasync.selection import Selection

FACTORY = "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker(bind=engine)\n"
GET_DB = "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n"
CONVERTIBLE = (
    "from app.container import Container\n\n\n"
    "def count_items():\n"
    "    db = Container.resolve(\"db_session\")\n"
    "    return db.execute(query).scalar()\n"
)
STORED = (
    "from app.container import Container\n\n\n"
    "class Report:\n"
    "    def __init__(self):\n"
    "        self.db = Container.resolve(\"db_session\")\n"
)


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name in files:
        for folder in (root / name).parents:
            if folder == root:
                break
            (folder / "__init__.py").touch()
    return root


def _derived(root: Path, selection: Selection | None = None, **settings) -> Config:
    config = Config(root=root, **settings)
    return with_project_sources(config, discover([root], config), selection)


def test_the_single_factory_and_get_db_of_the_project_are_used(tmp_path):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/api/deps.py": GET_DB,
                               "tests/conftest.py": FACTORY.replace("bind=engine", "bind=test_engine")})
    config = _derived(root)
    assert (config.session_factory, config.get_db) == ("app.core.database:SessionLocal", "app.api.deps:get_db")


def test_two_candidates_leave_the_setting_unset(tmp_path):
    root = _project(tmp_path, {"app/one.py": FACTORY, "app/two.py": FACTORY, "app/deps.py": GET_DB,
                               "app/more_deps.py": GET_DB})
    config = _derived(root)
    assert (config.session_factory, config.get_db) == (None, None)


def test_configured_sources_win(tmp_path):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/api/deps.py": GET_DB})
    config = _derived(root, get_db="app.web:get_session", session_factory="app.db:Maker")
    assert (config.session_factory, config.get_db) == ("app.db:Maker", "app.web:get_session")


def test_a_locator_project_without_get_db_gets_one_next_to_its_sync_factory(tmp_path):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/services/items.py": CONVERTIBLE})
    assert _derived(root).get_db == "app.core.database:get_db"


def test_no_get_db_is_invented_without_a_locator_or_for_an_async_factory(tmp_path):
    assert _derived(_project(tmp_path / "plain", {"app/core/database.py": FACTORY})).get_db is None
    asynchronous = FACTORY.replace("sessionmaker", "async_sessionmaker")
    root = _project(tmp_path / "async", {"app/core/database.py": asynchronous, "app/services/items.py": CONVERTIBLE})
    assert _derived(root).get_db is None


def test_a_registration_is_held_while_a_resolve_of_its_key_stays(tmp_path):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/services/items.py": CONVERTIBLE,
                               "app/services/reports.py": STORED})
    assert _derived(root).held_container_keys == ("db_session",)


def test_no_registration_is_held_when_every_resolve_converts(tmp_path):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/services/items.py": CONVERTIBLE})
    assert _derived(root).held_container_keys == ()


def test_resolves_this_run_leaves_alone_hold_the_registration(tmp_path):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/services/items.py": CONVERTIBLE})
    assert _derived(root, Selection(select=("D104",))).held_container_keys == ("db_session",)
    suppressed = CONVERTIBLE.replace('resolve("db_session")', 'resolve("db_session")  # sqlasync: ignore[D102]')
    (root / "app/services/items.py").write_text(suppressed, encoding="utf-8")
    assert _derived(root).held_container_keys == ("db_session",)


def test_what_d102_leaves_is_kept_in_the_cache_until_the_file_or_the_selection_changes(tmp_path, monkeypatch):
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/services/items.py": CONVERTIBLE,
                               "app/services/reports.py": STORED})
    judged = []
    judge = project_sources._kept_resolves
    monkeypatch.setattr(project_sources, "_kept_resolves", lambda *args: judged.append(args[1].name) or judge(*args))

    def derived(selection: Selection | None = None) -> tuple[str, ...]:
        config = Config(root=root)
        return with_project_sources(config, discover([root], config), selection, use_cache=True).held_container_keys

    assert derived() == ("db_session",)
    assert sorted(judged) == ["items.py", "reports.py"]
    judged.clear()
    assert derived() == ("db_session",)
    assert judged == []  # nothing changed: both decisions read back
    (root / "app/services/reports.py").write_text(CONVERTIBLE, encoding="utf-8")
    assert derived() == ()
    assert judged == ["reports.py"]  # only the changed file judged again
    judged.clear()
    assert derived(Selection(select=("D104",))) == ("db_session",)  # D102 not selected: another decision
    assert sorted(judged) == ["items.py", "reports.py"]


REGISTRATION = (
    "from app.container import Container\n"
    "from app.core.database import SessionLocal\n\n\n"
    "def configure_services():\n"
    "    Container.register_factory(\"db_session\", lambda: SessionLocal())\n"
)


def test_a_cut_of_the_project_keeps_the_registration_its_other_files_resolve(tmp_path):
    """`plan` and `migrate --verify` prepare the whole project once and judge cuts of it: a cut of the
    bootstrap module alone must keep the registration that the services outside the cut still resolve."""
    root = _project(tmp_path, {"app/core/database.py": FACTORY, "app/core/bootstrap.py": REGISTRATION,
                               "app/services/items.py": CONVERTIBLE, "app/container.py": "class Container: ...\n"})
    config = Config(root=root)
    everything = discover([root], config)
    # Over the whole project every resolve converts, so the registration may go with them.
    whole = with_project_sources(config, everything)
    assert whole.held_container_keys == ()
    options = Options(whole, Selection(), "async", jobs=1, use_cache=False)
    bootstrap = [file for file in everything if file.display.endswith("bootstrap.py")]
    migrations, verdict = sound_migrations(bootstrap, options, with_dependents=False)
    assert verdict.sound
    [migration] = migrations
    assert migration.updated is None, migration.updated.decode()
    assert [finding.code for finding in migration.left] == ["D104"]
