"""The whole-program post-condition (codemods/postcondition): each broken use it must find, and the
look-alikes that work and must not be reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support.cases import positive_cases
from support.database_modules import ASYNC_DATABASE, SYNC_DATABASE

from sqlasync.codemods.postcondition import introduced, violations_of

def _violations(tmp_path: Path, monkeypatch, files: dict[str, str]):
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path)
    sources = {}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8", newline="")
        sources[name] = path.read_bytes()
    return violations_of(sources)


def _summary(violations) -> list[tuple[str, int, str]]:
    return [(v.path, v.line, v.kind) for v in violations]


# A model whose constructor queries with a sync Session, and a generic repository building any model from
# `type[Model]` (a TypeVar bound to the declarative base): the definitions of the constructor entries.
GENERIC_MODELS = """
        from typing import Generic, TypeVar

        from sqlalchemy import select
        from sqlalchemy.ext.asyncio import AsyncSession
        from sqlalchemy.orm import DeclarativeBase, Session


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"

            def __init__(self, session: Session, name: str) -> None:
                self.group = session.execute(select(1)).scalar()


        Model = TypeVar("Model", bound=Base)


        class Repository(Generic[Model]):
            def __init__(self, session: AsyncSession, model: type[Model]) -> None:
                self.session = session
                self.model = model
"""


BROKEN = {
    "sync user of the async session factory": (
        ASYNC_DATABASE, """
        from app.database import SessionLocal

        def purge():
            db = SessionLocal()
            db.execute("DELETE FROM jobs")
            db.commit()
        """, [("app/user.py", 6, "unawaited"), ("app/user.py", 7, "unawaited")]),
    "with on an async session": (
        ASYNC_DATABASE, """
        from app import database

        def report():
            with database.SessionLocal() as db:
                return db.query(int).all()
        """, [("app/user.py", 5, "with-on-async"), ("app/user.py", 6, "missing-method")]),
    "next() on the async get_db": (
        ASYNC_DATABASE, """
        from app.database import get_db

        def main():
            db = next(get_db())
            return db
        """, [("app/user.py", 5, "iterates-async")]),
    "async function called from sync code and dropped": (
        """
        async def notify(job):
            return job
        """, """
        from app.database import notify

        def finish(job):
            notify(job)
            if notify(job):
                pass
        """, [("app/user.py", 5, "unawaited"), ("app/user.py", 6, "unawaited")]),
    "coroutine dropped in async code": (
        ASYNC_DATABASE, """
        from sqlalchemy.ext.asyncio import AsyncSession

        async def save(db: AsyncSession, job):
            db.add(job)
            db.commit()
        """, [("app/user.py", 6, "unawaited")]),
    "await on a sync function": (
        """
        from sqlalchemy.orm import Session

        def get_job(db: Session, job_id):
            return db.query(int).get(job_id)

        def log(message):
            print(message)
        """, """
        from app.database import get_job, log

        async def show(db, job_id):
            await log("show")
            return await get_job(db, job_id)
        """, [("app/user.py", 5, "await-on-sync"), ("app/user.py", 6, "await-on-sync")]),
    "await on a sync session": (
        SYNC_DATABASE, """
        from sqlalchemy.orm import Session

        async def save(db: Session, job):
            db.add(job)
            await db.commit()
        """, [("app/user.py", 6, "await-on-sync")]),
    "await on a sync method of AsyncSession": (
        ASYNC_DATABASE, """
        from sqlalchemy.ext.asyncio import AsyncSession

        async def save(db: AsyncSession, job):
            await db.add(job)
            await db.commit()
        """, [("app/user.py", 5, "await-on-sync")]),
    "async with on a sync session factory": (
        SYNC_DATABASE, """
        from app.database import SessionLocal

        async def purge():
            async with SessionLocal() as db:
                await db.execute("DELETE FROM jobs")
        """, [("app/user.py", 5, "async-with-on-sync"), ("app/user.py", 6, "await-on-sync")]),
    "handler declares Session, get_db provides AsyncSession": (
        ASYNC_DATABASE, """
        from fastapi import Depends
        from sqlalchemy.orm import Session
        from app.database import get_db

        def list_jobs(db: Session = Depends(get_db)):
            return db.query(int).all()
        """, [("app/user.py", 6, "session-mismatch"), ("app/user.py", 7, "missing-method")]),
    "handler declares AsyncSession, get_db still sync": (
        SYNC_DATABASE, """
        from typing import Annotated
        from fastapi import Depends
        from sqlalchemy.ext.asyncio import AsyncSession
        from app.database import get_db

        DbSession = Annotated[AsyncSession, Depends(get_db)]

        async def list_jobs(db: DbSession):
            return (await db.execute("SELECT 1")).all()
        """, [("app/user.py", 9, "session-mismatch"), ("app/user.py", 10, "await-on-sync")]),
    "AsyncSession handed to a function annotated Session": (
        ASYNC_DATABASE, """
        from sqlalchemy.orm import Session
        from app.database import SessionLocal

        def count(db: Session) -> int:
            return db.query(int).count()

        async def main():
            async with SessionLocal() as db:
                return count(db)
        """, [("app/user.py", 10, "session-mismatch")]),
    "sync fixture hands its session to an async test": (
        SYNC_DATABASE, """
        import pytest
        from app.database import SessionLocal

        @pytest.fixture
        def db():
            session = SessionLocal()
            yield session
            session.close()

        async def test_save(db):
            await db.commit()
        """, [("app/user.py", 12, "await-on-sync")]),
    "sync wrapper returning a coroutine, dropped by its caller": (
        """
        async def send(message):
            return message

        def send_later(message):
            return send(message)
        """, """
        from app.database import send_later

        def main():
            send_later("hi")
        """, [("app/user.py", 5, "unawaited")]),
    "await on Flask-SQLAlchemy's session, which has no async variant": (
        """
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        """, """
        from app.database import db

        async def save(job):
            db.session.add(job)
            await db.session.commit()
        """, [("app/user.py", 6, "await-on-sync")]),
    "a name imported from a module that does not define it": (
        SYNC_DATABASE, """
        from app.database import SessionLocal, get_async_db
        """, [("app/user.py", 2, "missing-name")]),
    "method of a service class made async, called from a sync method": (
        """
        class Jobs:
            async def purge(self):
                return None

            def purge_all(self):
                self.purge()
        """, """
        from app.database import Jobs

        def main():
            jobs = Jobs()
            jobs.purge()
        """, [("app/database.py", 7, "unawaited"), ("app/user.py", 6, "unawaited")]),
    "a library coroutine (sleep, a call offloaded to a thread) not awaited": (
        "", """
        import asyncio

        import requests
        from fastapi.concurrency import run_in_threadpool

        async def poll(url):
            asyncio.sleep(1)
            response = run_in_threadpool(requests.get, url)
            return response.json(), asyncio.to_thread(requests.get, url).ok
        """, [("app/user.py", 8, "unawaited"), ("app/user.py", 9, "unawaited"), ("app/user.py", 10, "unawaited")]),
    "a sync factory a function builds and returns in a tuple, entered with `async with`": (
        """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker


        def sql_global_init(url):
            engine = create_engine(url)
            factory = sessionmaker(bind=engine)
            return factory, engine


        SessionLocal, engine = sql_global_init("sqlite:///./app.db")
        """, """
        from app.database import SessionLocal

        async def get_db():
            async with SessionLocal() as db:
                yield db
        """, [("app/user.py", 5, "async-with-on-sync")]),
    "an @asynccontextmanager entered with a sync `with`, and the AsyncSession it yields used without await": (
        textwrap.dedent(ASYNC_DATABASE) + textwrap.dedent("""

        from contextlib import asynccontextmanager


        @asynccontextmanager
        async def session_context():
            async with SessionLocal() as session:
                yield session
        """), """
        from app.database import session_context

        def purge():
            with session_context() as session:
                session.commit()
        """, [("app/user.py", 5, "with-on-async"), ("app/user.py", 6, "unawaited")]),
    "an async method reached through a property annotated with a parametrised generic class": (
        """
        from functools import cached_property
        from typing import Generic, TypeVar

        T = TypeVar("T")


        class Repository(Generic[T]):
            async def create(self, data):
                return data


        class AllRepositories:
            @cached_property
            def preferences(self) -> Repository[dict]:
                return make()


        def make():
            return None
        """, """
        from app.database import AllRepositories

        def create(data):
            AllRepositories().preferences.create(data)
        """, [("app/user.py", 5, "unawaited")]),
    "`await` on a session of a sync scoped_session (a test suite's `Session = scoped_session(sessionmaker())`)": (
        """
        from sqlalchemy.orm import scoped_session, sessionmaker

        Session = scoped_session(sessionmaker())
        """, """
        from app.database import Session

        async def session_fixture():
            session = Session()
            yield session
            await session.rollback()
        """, [("app/user.py", 7, "await-on-sync")]),
    "a sync engine handed to a parameter declared AsyncEngine (E107's engine parameter)": (
        textwrap.dedent(SYNC_DATABASE) + textwrap.dedent("""

        from sqlalchemy.ext.asyncio import AsyncEngine


        async def init_database(engine: AsyncEngine):
            async with engine.begin() as connection:
                await connection.exec_driver_sql("select 1")
        """), """
        from app.database import engine, init_database

        async def start():
            await init_database(engine)
        """, [("app/user.py", 5, "session-mismatch")]),
    "an AsyncSession handed to a model constructor that queries with a sync Session, directly and through a "
    "generic repository's `type[Model]` (a TypeVar bound to the declarative base)": (
        GENERIC_MODELS + """
            async def create(self, data: dict):
                return self.model(session=self.session, **data)
        """, """
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.database import User

        async def register(db: AsyncSession, name: str):
            return User(db, name)
        """, [("app/database.py", 29, "session-mismatch"), ("app/user.py", 7, "session-mismatch")]),
    "a coroutine method called on what a generator context manager yields, not awaited": (
        """
        import contextlib
        from collections.abc import AsyncGenerator


        class Repositories:
            async def count_jobs(self) -> int:
                return 1


        @contextlib.asynccontextmanager
        async def repositories() -> AsyncGenerator[Repositories, None]:
            yield Repositories()
        """, """
        from app.database import repositories

        async def subscribers():
            async with repositories() as repos:
                found = repos.count_jobs()
                return found.total
        """, [("app/user.py", 6, "unawaited")]),
    "a coroutine method of a parametrised generic class built where it is used, not awaited": (
        """
        from typing import Generic, TypeVar

        T = TypeVar("T")


        class HttpRepo(Generic[T]):
            async def get_one(self, item_id: int) -> T:
                return item_id
        """, """
        from app.database import HttpRepo

        def get_one(item_id: int):
            return HttpRepo[int]().get_one(item_id).id
        """, [("app/user.py", 5, "unawaited")]),
    "a coroutine method called on what a `-> Self` method returns, not awaited": (
        """
        from typing import Self


        class Recipes:
            def by_user(self, user_id: int) -> Self:
                return self

            async def count(self) -> int:
                return 1
        """, """
        from app.database import Recipes

        def count_for(user_id: int):
            return Recipes().by_user(user_id).count().real
        """, [("app/user.py", 5, "unawaited")]),
    "a coroutine method called on a value picked by position from a tuple annotation, not awaited": (
        """
        class Units:
            async def page_all(self) -> list:
                return []
        """, """
        from app.database import Units

        def first_page(found: tuple[int, Units, str]):
            units = found[1]
            return units.page_all().items
        """, [("app/user.py", 6, "unawaited")]),
    "a coroutine method of a class looked up in a mapping annotated with its values' type, not awaited": (
        """
        class Migrator:
            async def migrate(self, name: str) -> int:
                return 1
        """, """
        from app.database import Migrator

        def start(kind: str):
            table: dict[str, type[Migrator]] = {}
            constructor = table.get(kind, None)
            migrator = constructor()
            return migrator.migrate(kind).real
        """, [("app/user.py", 8, "unawaited")]),
    "a class made an async context manager entered with `with`, a sync one with `async with`": (
        """
        class Seeded:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                return None


        class Base:
            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return None


        class Plain(Base):
            pass
        """, """
        from app.database import Plain, Seeded

        def seed(case_type: type[Seeded]):
            with case_type():
                pass

        async def plain():
            async with Plain() as plain:
                return plain
        """, [("app/user.py", 5, "with-on-async"), ("app/user.py", 9, "async-with-on-sync")]),
    "inside a lambda: an AsyncSession handed to a sync function, an async function's coroutine dropped": (
        """
        from sqlalchemy.orm import Session


        def fix_names(session: Session):
            return session


        async def fix_groups(session):
            return session
        """, """
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.database import fix_groups, fix_names

        def main(session: AsyncSession, run):
            run(lambda: fix_names(session))
            run(lambda: fix_groups(session).close())
        """, [("app/user.py", 7, "session-mismatch"), ("app/user.py", 8, "unawaited")]),
}


@pytest.mark.parametrize("definitions, user, expected", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_use_is_found(tmp_path, monkeypatch, definitions, user, expected):
    violations = _violations(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/database.py": definitions, "app/user.py": user})
    assert _summary(violations) == expected


WORKING = {
    "the async engine handed to a parameter declared AsyncEngine, and to one declared Engine that does no I/O": (
        textwrap.dedent(ASYNC_DATABASE) + textwrap.dedent("""

        from sqlalchemy import Engine
        from sqlalchemy.ext.asyncio import AsyncEngine


        async def init_database(engine: AsyncEngine):
            async with engine.begin() as connection:
                await connection.exec_driver_sql("select 1")


        def describe(engine: Engine) -> str:
            return engine.url.render_as_string()
        """), """
        from app.database import describe, engine, init_database

        async def start():
            await init_database(engine)
            return describe(engine)
        """),
    "model constructors that query built through the compat bridge (F108)": (
        GENERIC_MODELS.replace("from typing import", "from sqlasync.compat import call_legacy\n        from typing import")
        + """
            async def create(self, data: dict):
                return await call_legacy(self.session, self.model, session=self.session, **data)
        """, """
        from sqlalchemy.ext.asyncio import AsyncSession
        from sqlasync.compat import call_legacy

        from app.database import User

        async def register(db: AsyncSession, name: str):
            return await call_legacy(db, User, name)
        """),
    "an abstract async method iterated with `async for`, its overrides async generators": (
        """
        class Exporter:
            async def items(self): ...

            async def export(self):
                return [item async for item in self.items()]


        class RecipeExporter(Exporter):
            async def items(self):
                yield 1
        """, """
        from app.database import Exporter

        async def export_all(exporter: Exporter):
            async for item in exporter.items():
                print(item)
        """),
    "blocking calls offloaded and awaited (F111), library coroutines handed on": (
        "", """
        import asyncio
        import time

        import requests
        from starlette.concurrency import run_in_threadpool

        async def poll(url):
            await asyncio.sleep(1)
            response = await run_in_threadpool(requests.get, url, timeout=3)
            text = (await asyncio.to_thread(requests.get, url)).text
            await asyncio.gather(asyncio.sleep(0), asyncio.to_thread(time.sleep, 0))
            return response.json(), text

        def later():
            return asyncio.sleep(1)
        """),
    "awaited, gathered, run by the loop, handed on": (
        ASYNC_DATABASE, """
        import asyncio
        from app.database import SessionLocal

        async def one(db, job):
            await db.commit()
            return job

        async def many(jobs):
            async with SessionLocal() as db:
                await asyncio.gather(*(one(db, job) for job in jobs))
                results = [one(db, job) for job in jobs]
                return await asyncio.gather(*results)

        def main(jobs):
            coroutine = many(jobs)
            asyncio.run(coroutine)
            return asyncio.run(many(jobs))

        def later(jobs):
            return many(jobs)

        async def use_later(jobs):
            await later(jobs)
        """),
    "sync code on the sync side": (
        SYNC_DATABASE, """
        from fastapi import Depends
        from sqlalchemy.orm import Session
        from app.database import SessionLocal, get_db

        def list_jobs(db: Session = Depends(get_db)):
            return db.query(int).all()

        def purge():
            with SessionLocal() as db:
                db.execute("DELETE FROM jobs")
                db.commit()
        """),
    "async code on the async side": (
        ASYNC_DATABASE, """
        from fastapi import Depends
        from sqlalchemy.ext.asyncio import AsyncSession
        from app.database import SessionLocal, engine, get_db

        async def list_jobs(db: AsyncSession = Depends(get_db)):
            db.add(1)
            async with db.begin():
                await db.flush()
            return (await db.scalars("SELECT 1")).all()

        async def purge():
            async with engine.begin() as connection:
                await connection.execute("DELETE FROM jobs")
            await engine.dispose()
        """),
    "unknown receivers are never reported": (
        ASYNC_DATABASE, """
        import requests

        def fetch(client, db):
            requests.get("http://localhost")
            client.execute("x")
            db.commit()
        """),
    "an awaitable returned by a sync function may be awaited": (
        """
        import asyncio

        def later(loop):
            return loop.create_future()

        def value(x):
            return x
        """, """
        from app.database import later, value

        async def main(loop, x):
            await later(loop)
            await value(x)
        """),
    "each kind of class-based context manager entered the way its class defines, a dual one either way": (
        """
        class Seeded:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                return None


        class Both(Seeded):
            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return None
        """, """
        from app.database import Both, Seeded

        async def seed():
            async with Seeded():
                async with Both():
                    with Both():
                        pass
        """),
}


@pytest.mark.parametrize("definitions, user", list(WORKING.values()), ids=list(WORKING))
def test_working_use_is_not_reported(tmp_path, monkeypatch, definitions, user):
    violations = _violations(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/database.py": definitions, "app/user.py": user})
    assert _summary(violations) == []


def test_introduced_keeps_only_what_the_run_added(tmp_path, monkeypatch):
    legacy_defect = textwrap.dedent("""
        async def notify():
            return None

        def main():
            notify()
    """)
    before = _violations(tmp_path / "before", monkeypatch, {"app/__init__.py": "", "app/user.py": legacy_defect})
    after = _violations(tmp_path / "after", monkeypatch, {
        "app/__init__.py": "", "app/user.py": legacy_defect + "\n\ndef again():\n    notify()\n"})
    assert len(before) == 1 and len(after) == 2
    assert [(v.function, v.kind) for v in introduced(before, after)] == [("again", "unawaited")]


@pytest.mark.parametrize("case", [c for c in positive_cases() if c.after is not None], ids=lambda c: c.id)
def test_golden_after_breaks_no_use_its_before_did_not(case, tmp_path, monkeypatch):
    """Every single-file golden case's expected output meets the post-condition (the repository cases go
    through `migrate` itself, which refuses any output that does not)."""
    before = _violations(tmp_path / "before", monkeypatch, {"example.py": case.before})
    after = _violations(tmp_path / "after", monkeypatch, {"example.py": case.after})
    assert [v.describe() for v in introduced(before, after)] == []


def test_a_loop_driver_called_in_async_code_is_found(tmp_path, monkeypatch):
    """A sync test's `run(coro)` fixture (loop.run_until_complete) breaks once the test becomes async."""
    violations = _violations(tmp_path, monkeypatch, {"tests/__init__.py": "", "tests/conftest.py": """
        import asyncio
        import pytest

        @pytest.fixture
        def run():
            loop = asyncio.new_event_loop()
            yield loop.run_until_complete
            loop.close()
        """, "tests/test_jobs.py": """
        import asyncio

        async def work():
            return 1

        async def test_async(run):
            assert run(work()) == 1

        def test_sync(run):
            assert run(work()) == 1

        async def test_nested():
            return asyncio.run(work())
        """})
    assert _summary(violations) == [("tests/test_jobs.py", 8, "nested-loop"), ("tests/test_jobs.py", 14, "nested-loop")]


def test_a_module_imported_through_a_namespace_folder_is_followed(tmp_path, monkeypatch):
    # `tests/cases/` has no `__init__.py` inside the package `tests`: `tests.cases.base` is its module.
    violations = _violations(tmp_path, monkeypatch, {
        "tests/__init__.py": "",
        "tests/repos.py": """
        class Units:
            async def create(self, item):
                return item
        """,
        "tests/cases/base.py": """
        from tests.repos import Units


        class CaseBase:
            def __init__(self, units: Units) -> None:
                self.units = units
        """,
        "tests/cases/case_units.py": """
        from tests.cases.base import CaseBase


        class UnitsCase(CaseBase):
            def seed(self, item):
                return self.units.create(item).id
        """,
    })
    assert _summary(violations) == [("tests/cases/case_units.py", 7, "unawaited")]


# A service locator: the session factory registered under a key in one module, resolved by that key in others,
# neither of which names the factory. The fixture's own locator, as it is.
SERVICE_LOCATOR = (Path(__file__).parents[1] / "fixtures" / "service_registry" / "app" / "core"
                   / "service_registry.py").read_text(encoding="utf-8")
LOCATOR_USER = """
        from sqlalchemy.orm import Session

        from app.service_registry import Container


        def create_user(db: Session, email: str) -> None:
            db.add(email)


        def get_user(user_id: int):
            db = Container.resolve("db_session")
            return db.query(int).get(user_id)


        def register(email: str) -> None:
            db = Container.resolve("db_session")
            create_user(db, email)
            db.commit()


        def page_size() -> int:
            return Container.resolve("settings").max_page_size
"""


@pytest.mark.parametrize("registration", [
    'Container.register_factory("db_session", lambda: SessionLocal())',
    'Container.register_factory("db_session", SessionLocal)',
    'Container.register_singleton("db_session", SessionLocal())',
])
def test_a_session_from_a_service_locator_is_the_one_its_factory_makes(tmp_path, monkeypatch, registration):
    """A sync function that resolves its session from the locator breaks when the registered factory becomes
    async, though neither it nor the registration changed (the batch-1 cut of fixtures/service_registry)."""
    bootstrap = f"""
        from app.database import SessionLocal
        from app.service_registry import Container


        def configure_services() -> None:
            Container.register_singleton("settings", object())
            {registration}
        """
    files = {"app/__init__.py": "", "app/service_registry.py": SERVICE_LOCATOR, "app/bootstrap.py": bootstrap,
             "app/user.py": LOCATOR_USER}
    legacy = _violations(tmp_path / "legacy", monkeypatch, {**files, "app/database.py": SYNC_DATABASE})
    assert _summary(legacy) == []
    cut = _violations(tmp_path / "cut", monkeypatch, {**files, "app/database.py": ASYNC_DATABASE})
    assert [(v.path, v.line, v.kind, v.needs) for v in cut] == [
        ("app/user.py", 13, "missing-method", "app/user.py"),
        ("app/user.py", 18, "session-mismatch", "app/user.py"),
        ("app/user.py", 19, "unawaited", "app/user.py"),
    ]


def test_a_key_registered_with_other_factories_or_on_another_locator_proves_nothing(tmp_path, monkeypatch):
    """Two registrations of one key that disagree give no kind, and a key of one locator says nothing about
    the same key of another (on which the project registers nothing)."""
    bootstrap = """
        from sqlalchemy.orm import sessionmaker

        from app.database import SessionLocal
        from app.service_registry import Container


        class Other:
            @classmethod
            def register_factory(cls, name, factory):
                pass

            @classmethod
            def resolve(cls, name):
                return None


        def configure_services(testing: bool) -> None:
            Container.register_factory("db_session", lambda: SessionLocal())
            Container.register_factory("reporting", lambda: SessionLocal())
            if testing:
                Container.register_factory("reporting", sessionmaker())


        def use_other():
            db = Other.resolve("db_session")
            return db.query(int).all()


        def use_reporting():
            db = Container.resolve("reporting")
            return db.query(int).all()
        """
    files = {"app/__init__.py": "", "app/service_registry.py": SERVICE_LOCATOR, "app/bootstrap.py": bootstrap,
             "app/database.py": ASYNC_DATABASE}
    assert _summary(_violations(tmp_path, monkeypatch, files)) == []


def test_a_resolve_whose_registration_is_gone_is_found(tmp_path, monkeypatch):
    """A run that drops the registration (D104) while resolves of its key stay breaks them at run time."""
    bootstrap = """
        from app.database import SessionLocal
        from app.service_registry import Container


        def configure_services() -> None:
            Container.register_singleton("settings", object())
            Container.register_factory("db_session", lambda: SessionLocal())
        """
    files = {"app/__init__.py": "", "app/service_registry.py": SERVICE_LOCATOR, "app/user.py": LOCATOR_USER,
             "app/database.py": SYNC_DATABASE}
    before = _violations(tmp_path / "before", monkeypatch, {**files, "app/bootstrap.py": bootstrap})
    after = _violations(tmp_path / "after", monkeypatch, {
        **files, "app/bootstrap.py": bootstrap.replace('Container.register_factory("db_session"', "# (")})
    assert before == []
    assert [(v.line, v.kind, v.needs) for v in introduced(before, after)] == [
        (12, "unregistered", "app/user.py"), (17, "unregistered", "app/user.py")]


def test_a_long_chain_of_instance_attributes_is_followed_to_its_end(tmp_path, monkeypatch):
    """`self.a59` assigned from `self.a58` ... from the async session factory: each attribute is resolved once
    and remembered, so the chain is followed to its end (it used to stop at the depth guard, and to walk every
    method of the class once per path on the way)."""
    assignments = "\n".join(f"        self.a{n} = self.a{n - 1}" for n in range(1, 60))
    user = f"""
from app.database import SessionLocal


class Jobs:
    def __init__(self):
        self.a0 = SessionLocal()
{assignments}

    def purge(self):
        self.a59.commit()
"""
    violations = _violations(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/database.py": ASYNC_DATABASE, "app/user.py": user})
    assert _summary(violations) == [("app/user.py", 69, "unawaited")]


def test_a_fixture_adopting_its_registry_session_hands_out_an_async_session(tmp_path, monkeypatch):
    """`yield adopt_session(session)`: async tests may await on it, sync tests may not use it the sync way but may
    use its `sync_session`; the fixture's own calls on the registry's session stay sync."""
    violations = _violations(tmp_path, monkeypatch, {"tests/__init__.py": "", "tests/database.py": """
        from sqlalchemy.orm import scoped_session, sessionmaker

        Session = scoped_session(sessionmaker())
        """, "tests/conftest.py": """
        import pytest
        from sqlasync.compat import adopt_session

        from .database import Session

        @pytest.fixture(autouse=True)
        def session():
            session = Session()
            session.begin_nested()
            yield adopt_session(session)
            session.rollback()
        """, "tests/test_jobs.py": """
        from sqlalchemy.orm import Session

        def helper(db: Session):
            return db.get(dict, 1)

        async def test_async(session):
            await session.commit()

        def test_sync(session):
            session.commit()
            helper(session)

        def test_sync_face(session):
            sync_session = session.sync_session
            sync_session.commit()
            helper(sync_session)
            helper(session.sync_session)
        """})
    assert _summary(violations) == [("tests/test_jobs.py", 11, "unawaited"),
                                    ("tests/test_jobs.py", 12, "session-mismatch")]
