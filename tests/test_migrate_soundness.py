"""`migrate` checks the whole program it would leave before it writes: a cut that breaks code outside it is
refused (exit 2, nothing written, the files that must come along named), or widened by --with-dependents."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support.database_modules import SYNC_DATABASE

from sqlasync import soundness
from sqlasync.cli import main
from sqlasync.codemods.postcondition import violations_of

# A start-up check outside the migrated path: with an async SessionLocal its execute() would build a
# coroutine nobody awaits, and it would print "ready" without touching the database.
READINESS = """
    from sqlalchemy import text

    from app.database import SessionLocal


    def check_ready():
        db = SessionLocal()
        db.execute(text("SELECT 1"))
        db.close()
        print("ready")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in {"app/__init__.py": "", "app/database.py": SYNC_DATABASE, "app/readiness.py": READINESS,
                       "pyproject.toml": "[tool.sqlasync]\n"}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_a_cut_that_breaks_code_outside_it_is_refused_and_writes_nothing(project, capsys):
    before = _tree(project)
    assert main(["migrate", "--no-cache", "--allow-dirty", "app/database.py"]) == 2
    assert _tree(project) == before
    errors = capsys.readouterr().err
    assert "refusing to migrate" in errors and "nothing was written" in errors
    assert "app/readiness.py must come along" in errors
    assert "AsyncSession.execute() is called without `await` in sync `check_ready`" in errors
    assert "--with-dependents" in errors


def test_with_dependents_takes_the_users_along_and_leaves_a_sound_program(project, capsys):
    assert main(["migrate", "--no-cache", "--allow-dirty", "--with-dependents", "app/database.py"]) in (0, 1)
    after = _tree(project)
    assert "async def check_ready" in after["app/readiness.py"].decode()
    assert "await db.execute" in after["app/readiness.py"].decode()
    assert violations_of(after) == []



def test_the_program_before_a_widened_cut_is_inferred_once(project, monkeypatch):
    """Each round of --with-dependents (and each cut a plan tries) is judged against the same program before
    the run: its whole-program inference, seconds on a real project, is done once, not once a round."""
    inferred: list[frozenset[str]] = []

    def counted(sources, trusted=True):
        inferred.append(frozenset(sources.items()))
        return violations_of(sources, trusted)

    monkeypatch.setattr(soundness, "violations_of", counted)
    monkeypatch.setattr(soundness, "_recent_violations", {})
    legacy = frozenset(_tree(project).items())
    assert main(["migrate", "--no-cache", "--allow-dirty", "--with-dependents", "app/database.py"]) in (0, 1)
    # Two rounds (database.py alone, then with readiness.py): the legacy program once, each cut's result once.
    assert len(inferred) == 3 and inferred.count(legacy) == 1

def test_the_whole_project_is_not_refused(project, capsys):
    assert main(["migrate", "--no-cache", "--allow-dirty", "."]) in (0, 1)
    assert violations_of(_tree(project)) == []


# A repository shared by a route-like service (which becomes async) and by a callback that a data holder
# calls synchronously (so the coloring keeps it, and the repository method it reaches, sync): the rewrite
# cannot leave both working, and the refusal names the cause instead of blaming sqlasync.
REPOSITORY = """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.models import Tag


    class TagRepository:
        def __init__(self, session: Session) -> None:
            self.session = session

        def get_one(self, name: str):
            return self.session.execute(select(Tag).where(Tag.name == name)).scalar_one_or_none()

        def count(self) -> int:
            return len(self.session.execute(select(Tag)).all())
"""
CALLBACK_USER = """
    from app.repository import TagRepository


    class Alias:
        def __init__(self, func):
            self.func = func


    class Importer:
        def __init__(self, repository: TagRepository) -> None:
            self.repository = repository
            self.aliases = [Alias(func=self.lookup)]

        def lookup(self, name: str):
            return self.repository.get_one(name)


    def rewrite(aliases, value):
        for alias in aliases:
            value = alias.func(value)
        return value
"""
SERVICE = """
    from app.importer import Importer, rewrite
    from app.repository import TagRepository


    def tag_count(repository: TagRepository) -> int:
        rewrite(Importer(repository).aliases, "tag")
        return repository.count()
"""


def test_a_function_kept_sync_by_a_callback_is_named_as_the_cause(tmp_path, monkeypatch, capsys):
    models = textwrap.dedent(SYNC_DATABASE) + textwrap.dedent("""
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class Tag(Base):
            __tablename__ = "tags"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]
    """)
    for name, text in {"app/__init__.py": "", "app/database.py": SYNC_DATABASE, "app/models.py": models,
                       "app/repository.py": REPOSITORY, "app/importer.py": CALLBACK_USER, "app/service.py": SERVICE,
                       "pyproject.toml": "[tool.sqlasync]\n"}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    assert main(["migrate", "--no-cache", "--allow-dirty", "."]) == 2
    assert _tree(tmp_path) == before
    errors = capsys.readouterr().err
    assert "app/repository.py::TagRepository.get_one stays sync" in errors
    assert "passed to `Alias(...)` at app/importer.py:13, which may call it synchronously" in errors
    # It cannot keep a sync face either (F112): the alias is called by sync code on the event loop's thread.
    assert "`.func(...)` is called by sync code on the event loop's thread (`rewrite` at app/importer.py:" in errors
    assert "a defect of sqlasync" not in errors
    assert "P001" not in errors


def test_check_closure_reports_what_a_cut_would_break_where_it_breaks(project, capsys):
    assert main(["check", "--no-cache", "--closure", "--format", "json", "app/database.py"]) == 1
    report = json.loads(capsys.readouterr().out)
    closure = [f for f in report["findings"] if f["code"] == "P004"]
    assert [(f["path"], f["line"], f["needs"]) for f in closure] == [
        ("app/readiness.py", 9, "app/readiness.py"), ("app/readiness.py", 10, "app/readiness.py")]
    assert "AsyncSession.execute() is called without `await` in sync `check_ready`" in closure[0]["message"]
    assert "migrate app/readiness.py with the checked paths" in closure[0]["reason"]


def test_check_closure_of_the_whole_project_is_empty(project, capsys):
    main(["check", "--no-cache", "--closure", "--format", "json", "."])
    assert not [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "P004"]
