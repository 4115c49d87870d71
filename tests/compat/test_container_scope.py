"""Container.resolve("db_session") sessions are owned by the request/task scope and always closed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from fastapi import Depends, FastAPI
import httpx
from sqlalchemy.orm import Session

from sqlasync import compat
from sqlasync.compat import (
    Database,
    LegacyContainer,
    LegacySessionScopeMiddleware,
    SessionScopeError,
    legacy_session_scope,
    request_session_scope,
)

pytestmark = pytest.mark.filterwarnings("ignore::sqlasync.compat.LegacyDatabaseAccessWarning")

REQUESTS = 12


class LegacyServiceLocator:
    """The user's original Container: resolve() calls the factory, nobody closes the session."""

    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Any]] = {}

    def register_factory(self, name: str, factory: Callable[[], Any]) -> None:
        self._factories[name] = factory

    def resolve(self, name: str) -> Any:
        return self._factories[name]()


def build_app(container: Any, legacy: ModuleType, **app_options: Any) -> FastAPI:
    app = FastAPI(**app_options)

    @app.get("/sync/{job_id}")
    def sync_route(job_id: str) -> dict[str, Any]:  # runs in the thread pool
        db = container.resolve("db_session")
        job = db.query(legacy.Job).filter(legacy.Job.job_id == job_id).first()
        return {"status": job.status if job else None, "thread": threading.current_thread().name}

    @app.get("/async/{job_id}")
    async def async_route(job_id: str) -> dict[str, Any]:  # legacy code blocking the loop, as before
        db = container.resolve("db_session")
        job = db.query(legacy.Job).filter(legacy.Job.job_id == job_id).first()
        return {"status": job.status if job else None, "thread": threading.current_thread().name}

    @app.post("/jobs/{job_id}")
    def create(job_id: str) -> dict[str, str]:
        db = container.resolve("db_session")
        db.add(legacy.Job(job_id=job_id, status="queued"))
        db.commit()
        return {"created": job_id}

    return app


def seed(db: Database, legacy: ModuleType) -> None:
    with db.sync_sessionmaker.begin() as session:
        session.add(legacy.Job(job_id="j1", status="running"))


def client(app: FastAPI, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://app")


def exercise(app: FastAPI, count: int) -> list[dict[str, Any]]:
    async def requests() -> list[dict[str, Any]]:
        replies = []
        async with client(app) as http:
            for number in range(count):
                path = "/sync/j1" if number % 2 else "/async/j1"
                response = await http.get(path)
                assert response.status_code == 200, response.text
                replies.append(response.json())
        return replies

    return asyncio.run(requests())


def test_legacy_pattern_leaks_one_connection_per_request(db: Database, legacy: ModuleType) -> None:
    seed(db, legacy)
    opened: list[Session] = []

    def leaky_factory() -> Session:
        # Keeping a reference stands in for the garbage collector not having run yet.
        session = db.sync_sessionmaker()
        opened.append(session)
        return session

    container = LegacyServiceLocator()
    container.register_factory("db_session", leaky_factory)
    db_sync_pool = db.sync_engine.pool
    try:
        exercise(build_app(container, legacy), 4)
        assert db_sync_pool.checkedout() == 4
    finally:
        for session in opened:
            session.close()
    assert db_sync_pool.checkedout() == 0


def test_middleware_closes_every_session(db: Database, legacy: ModuleType) -> None:
    seed(db, legacy)
    container = LegacyContainer(db)
    app = build_app(container, legacy)
    app.add_middleware(LegacySessionScopeMiddleware)

    replies = exercise(app, REQUESTS)

    assert all(reply["status"] == "running" for reply in replies)
    threads = {reply["thread"] for reply in replies}
    assert len(threads) >= 2  # both the event loop thread and pool threads were exercised
    assert db.sync_engine.pool.checkedout() == 0


def test_writes_through_the_scoped_session_commit(db: Database, legacy: ModuleType) -> None:
    container = LegacyContainer(db)
    app = build_app(container, legacy)
    app.add_middleware(LegacySessionScopeMiddleware)

    async def requests() -> None:
        async with client(app) as http:
            assert (await http.post("/jobs/new-1")).json() == {"created": "new-1"}
            assert (await http.get("/sync/new-1")).json()["status"] == "queued"

    asyncio.run(requests())
    assert db.sync_engine.pool.checkedout() == 0


def test_fastapi_dependency_scopes_requests_too(db: Database, legacy: ModuleType) -> None:
    seed(db, legacy)
    container = LegacyContainer(db)
    app = build_app(container, legacy, dependencies=[Depends(request_session_scope)])
    exercise(app, REQUESTS)
    assert db.sync_engine.pool.checkedout() == 0


def test_failing_request_still_closes_its_session(db: Database, legacy: ModuleType) -> None:
    container = LegacyContainer(db)
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        container.resolve("db_session").query(legacy.Job).all()
        raise RuntimeError("endpoint failed")

    app.add_middleware(LegacySessionScopeMiddleware)

    async def request() -> int:
        async with client(app, raise_app_exceptions=False) as http:
            return (await http.get("/boom")).status_code

    assert asyncio.run(request()) == 500
    assert db.sync_engine.pool.checkedout() == 0


def test_resolve_outside_a_scope_raises_instead_of_leaking(db: Database) -> None:
    container = LegacyContainer(db)
    with pytest.raises(SessionScopeError, match="legacy_session_scope"):
        container.resolve("db_session")
    assert db.sync_engine.pool.checkedout() == 0


def test_scope_for_jobs_and_scripts(db: Database, legacy: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    container = LegacyContainer(db)
    seen: list[Session] = []

    @legacy_session_scope()
    def celery_task(job_id: str) -> None:
        session = container.resolve("db_session")
        seen.append(session)
        session.add(legacy.Job(job_id=job_id))
        session.commit()
        session.query(legacy.Job).count()  # leaves a transaction open; the scope must close it

    @legacy_session_scope()
    async def async_job() -> int:
        return container.resolve("db_session").query(legacy.Job).count()

    celery_task("task-1")
    celery_task("task-2")
    assert seen[0] is not seen[1]
    assert db.sync_engine.pool.checkedout() == 0
    assert loop.run_until_complete(async_job()) == 2
    assert db.sync_engine.pool.checkedout() == 0

    with legacy_session_scope() as scope:
        session = container.resolve("db_session")
        session.query(legacy.Job).all()
    assert db.sync_engine.pool.checkedout() == 0
    with pytest.raises(SessionScopeError, match="already ended"):
        scope.session(db.sync_sessionmaker)


def test_one_session_per_scope_shared_across_threads(db: Database, loop: asyncio.AbstractEventLoop) -> None:
    container = LegacyContainer(db)

    async def request() -> None:
        async with legacy_session_scope():
            here = container.resolve("db_session")
            # A worker thread started via to_thread copies the context, as Starlette's thread pool does.
            there = await asyncio.to_thread(container.resolve, "db_session")
            assert here is there

    loop.run_until_complete(request())


def test_registered_db_session_factory_is_used_but_scoped(db: Database, legacy: ModuleType) -> None:
    container = LegacyContainer(db)
    made: list[Session] = []

    def factory() -> Session:
        made.append(db.sync_sessionmaker())
        return made[-1]

    container.register_factory("db_session", factory)
    with legacy_session_scope():
        assert container.resolve("db_session") is container.resolve("db_session") is made[0]
        made[0].query(legacy.Job).all()
    assert len(made) == 1
    assert db.sync_engine.pool.checkedout() == 0


def test_other_names_are_a_plain_registry(unconfigured: None) -> None:
    container = LegacyContainer()
    container.register_factory("clock", lambda: "tick")
    assert container.resolve("clock") == "tick"
    with pytest.raises(KeyError, match="no factory registered for 'mailer'"):
        container.resolve("mailer")


def test_module_level_container_uses_the_configured_database(
    sqlite_url: str, legacy: ModuleType, unconfigured: None
) -> None:
    database = compat.configure(sqlite_url)
    legacy.Base.metadata.create_all(database.sync_engine)
    with legacy_session_scope():
        assert compat.Container.resolve("db_session").query(legacy.Job).count() == 0
    assert database.sync_engine.pool.checkedout() == 0
    database.sync_engine.dispose()


def test_middleware_leaves_lifespan_events_unscoped(loop: asyncio.AbstractEventLoop) -> None:
    from sqlasync.compat.scope import current_scope

    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            current_scope()
            seen.append(f"{scope['type']}: scoped")
        except SessionScopeError:
            seen.append(f"{scope['type']}: unscoped")

    middleware = LegacySessionScopeMiddleware(app)
    loop.run_until_complete(middleware({"type": "lifespan"}, None, None))
    loop.run_until_complete(middleware({"type": "http"}, None, None))
    loop.run_until_complete(middleware({"type": "websocket"}, None, None))
    assert seen == ["lifespan: unscoped", "http: scoped", "websocket: scoped"]
