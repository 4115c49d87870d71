"""A legacy database module, migrated, runs for real: the async engine on SQLite, PostgreSQL and MariaDB
from the same sync-style DATABASE_URL, schema creation, the get_db dependency and a script's session block."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from sqlasync.analysis import migrate
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

LEGACY_DATABASE = """\
    import os

    from sqlalchemy import Column, Integer, QueuePool, String, create_engine
    from sqlalchemy.orm import declarative_base, sessionmaker

    DATABASE_URL = os.environ["DATABASE_URL"]
    _connect_args = {"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}

    engine = create_engine(DATABASE_URL, poolclass=QueuePool, pool_size=2, pool_pre_ping=True, future=True,
                           connect_args=_connect_args)
    SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    Base = declarative_base()


    class Note(Base):
        __tablename__ = "notes"
        id = Column(Integer, primary_key=True)
        text = Column(String(50), nullable=False)


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()


    def init_db():
        Base.metadata.drop_all(bind=engine)
        Base.metadata.create_all(bind=engine)


    def add_note(text):
        db = SessionLocal()
        try:
            db.add(Note(text=text))
            db.commit()
        finally:
            db.close()
"""

# Runs the migrated module: the script-style helper, then get_db to the end (commit) and into an error
# (rollback), then reads everything back.
EXERCISE = textwrap.dedent("""
    import asyncio, json
    from sqlalchemy import select

    import database


    async def through_dependency(text, failure=None):
        dependency = database.get_db()
        session = await anext(dependency)
        session.add(database.Note(text=text))
        try:
            await (anext(dependency) if failure is None else dependency.athrow(failure))
        except (StopAsyncIteration, RuntimeError):
            pass


    async def main():
        await database.init_db()
        await database.add_note("script")
        await through_dependency("request")
        await through_dependency("failed request", RuntimeError("the handler failed"))
        async with database.SessionLocal() as session:
            texts = sorted((await session.scalars(select(database.Note.text))).all())
        print(json.dumps({"texts": texts, "driver": database.engine.dialect.driver,
                          "pool": type(database.engine.pool).__name__}))
        await database.engine.dispose()


    asyncio.run(main())
""")


@pytest.fixture(scope="module")
def migrated_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bootstrap")
    source = textwrap.dedent(LEGACY_DATABASE)
    result = migrate(source.encode(), "database.py", Config(root=folder), FAMILIES, Selection(), "async")
    assert {code for code, _ in result.fixed.items()} >= {"D101", "E101", "E102", "E103", "E104", "E105"}
    assert [f.code for f in result.left] == []
    (folder / "database.py").write_bytes(result.updated)
    return folder


def _run(folder: Path, database_url: str) -> dict:
    import json

    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(folder)}
    result = subprocess.run([sys.executable, "-c", EXERCISE], cwd=folder, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_migrated_module_is_async_through_and_through(migrated_module: Path) -> None:
    text = (migrated_module / "database.py").read_text(encoding="utf-8")
    for expected in ("create_async_engine(", "async_database_url(DATABASE_URL)", "poolclass=AsyncAdaptedQueuePool",
                     "async_sessionmaker(engine, autoflush=False, expire_on_commit=False)",
                     "class Base(DeclarativeBase):", "async def get_db():", "async def init_db():",
                     "async def add_note(text):\n    async with SessionLocal() as db:"):
        assert expected in text
    assert "future=" not in text and "autocommit" not in text


def test_sqlite_file(migrated_module: Path, tmp_path: Path) -> None:
    answer = _run(migrated_module, f"sqlite:///{tmp_path / 'notes.db'}")
    assert answer == {"texts": ["request", "script"], "driver": "aiosqlite", "pool": "AsyncAdaptedQueuePool"}


@pytest.mark.postgres
def test_postgresql_from_a_bare_url(migrated_module: Path, postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://")
    answer = _run(migrated_module, postgres_url)
    assert answer == {"texts": ["request", "script"], "driver": "asyncpg", "pool": "AsyncAdaptedQueuePool"}


@pytest.fixture
def mariadb_url() -> str:
    import pymysql

    server = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
    try:
        admin = pymysql.connect(**server, connect_timeout=5)
    except pymysql.err.OperationalError as exc:
        pytest.skip(f"MariaDB/MySQL unavailable at 127.0.0.1:3306: {exc}")
    name = f"sqlasync_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    try:
        yield f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def test_mariadb_from_a_pymysql_url(migrated_module: Path, mariadb_url: str) -> None:
    answer = _run(migrated_module, mariadb_url)
    assert answer == {"texts": ["request", "script"], "driver": "aiomysql", "pool": "AsyncAdaptedQueuePool"}
