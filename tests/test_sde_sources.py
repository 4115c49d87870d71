"""Where D and E rewrites get `get_db` and the session factory from: the file itself, its imports, or
`get-db` / `session-factory` in [tool.sqlasync]; and the get_db E102 adds to the module `get-db` names."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sqlasync.analysis import analyse, migrate
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

CONFIGURED = {"get_db": "app.core.database:get_db", "session_factory": "app.core.database:SessionLocal"}


def _migrate(source: str, path: str = "app/api/items.py", **settings) -> str:
    result = migrate(textwrap.dedent(source).encode(), path, Config(root=Path("/nonexistent"), **settings), FAMILIES,
                     Selection(), "async")
    assert result.updated is not None
    return result.updated.decode()


def _findings(source: str, path: str = "app/api/items.py", **settings):
    return analyse(textwrap.dedent(source).encode(), path, Config(root=Path("/nonexistent"), **settings), FAMILIES,
                   "async").findings


SERVICE_LOCATOR = """\
    from fastapi import APIRouter

    from app.core.service_registry import Container

    router = APIRouter()


    @router.get("/items")
    def list_items():
        db = Container.resolve("db_session")
        return db.get(Item, 1)


    def restock(item_id):
        db = Container.resolve("db_session")
        db.commit()
"""


def test_without_configuration_the_locator_sites_say_what_to_set() -> None:
    reasons = {f.reason for f in _findings(SERVICE_LOCATOR) if f.code == "D102"}
    assert len(reasons) == 1 and "session-factory" in reasons.pop()


def test_configured_sources_are_imported() -> None:
    output = _migrate(SERVICE_LOCATOR, **CONFIGURED)
    assert "from app.core.database import SessionLocal, get_db" in output or (
        "from app.core.database import get_db" in output and "from app.core.database import SessionLocal" in output)
    assert "async def list_items(db: AsyncSession = Depends(get_db)):\n    return await db.get(Item, 1)" in output
    assert "async def restock(item_id):\n    async with SessionLocal() as db:\n        await db.commit()" in output
    assert "Container" not in output


def test_a_get_db_the_file_already_imports_wins_over_the_configuration() -> None:
    source = SERVICE_LOCATOR.replace("from app.core.service_registry import Container",
                                     "from app.core.service_registry import Container\n    from app.deps import get_db")
    output = _migrate(source, **CONFIGURED)
    assert "from app.deps import get_db" in output and "app.core.database import get_db" not in output


def test_the_note_left_for_register_factory_names_the_get_db_module() -> None:
    source = """\
        from app.core.service_registry import Container


        def configure():
            Container.register_factory("db_session", make_session)
    """
    output = _migrate(source, **CONFIGURED)
    assert "Depends(get_db)` from app.core.database" in output.replace("\n    # ", " ")


DATABASE_MODULE = """\
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite:///./app.db")
    SessionLocal = sessionmaker(bind=engine)
    Base = object
"""


def test_the_configured_get_db_module_gets_a_get_db_after_its_factory() -> None:
    output = _migrate(DATABASE_MODULE, "app/core/database.py", **CONFIGURED)
    assert output.endswith(textwrap.dedent("""\
        SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


        async def get_db():
            async with SessionLocal() as db:
                try:
                    yield db
                    await db.commit()
                except Exception:
                    await db.rollback()
                    raise


        Base = object
    """))


@pytest.mark.parametrize(("path", "settings"), [
    ("app/core/other.py", CONFIGURED),
    ("app/core/database.py", {}),
])
def test_no_get_db_is_added_elsewhere(path: str, settings: dict) -> None:
    assert "def get_db" not in _migrate(DATABASE_MODULE, path, **settings)


def test_an_existing_get_db_is_not_duplicated() -> None:
    source = DATABASE_MODULE + "\n\n    def get_db():\n        with SessionLocal() as db:\n            yield db\n"
    output = _migrate(source, "app/core/database.py", **CONFIGURED)
    assert output.count("def get_db") == 1 and "async def get_db" in output
