"""The rules of family F (async coloring, its boundaries, and relationship loading under asyncio)."""

from __future__ import annotations

from .rule import Rule

FAMILY = "coloring"

BECOMES_ASYNC = Rule(
    code="F101", name="function-becomes-async", family=FAMILY,
    summary="`def` that awaits after migration, directly or through a function it calls, becomes `async def`",
    why=(
        "Once the session is an `AsyncSession`, every function that does session I/O must await it, and `await` "
        "is only legal inside `async def`. A function that calls such a function must await the call, so it "
        "becomes async in turn, up to the boundaries (route handlers, tests, entry points) where the event loop "
        "takes over."
    ),
    before=(
        "def save(db, job):\n"
        "    db.add(job)\n"
        "    await db.commit()\n"
    ),
    after=(
        "async def save(db, job):\n"
        "    db.add(job)\n"
        "    await db.commit()\n"
    ),
    fixable=True,
    fix_notes=(
        "The index covers the whole project (the config root), even when only some paths are migrated. A function "
        "becomes async when another family's rewrite puts an `await` into it, or when it calls a function that "
        "becomes async; calls are resolved through imports (`from x import y as z`), module attributes, package "
        "re-exports, `self` and base classes, annotations, constructors in scope and pytest fixtures. Methods that "
        "override each other become async together. A `@property` getter becomes an async method (`await "
        "obj.name()` at every read) when every read of that name in the repository provably reads it (see F107). "
        "A class whose `__enter__`/`__exit__` must await becomes an async context manager: both become "
        "`async def __aenter__`/`__aexit__` (over the whole class hierarchy) when the project defines both and "
        "every use is a `with` statement, which becomes `async with` (F102). "
        "A function stays sync (F107) when it is any other property, any other special method, a Celery task, decorated by something that may not accept coroutine functions, handed as a value "
        "to code that may call it synchronously, called where `await` cannot go, or called by a function that stays "
        "sync (including every function of a file this run does not migrate)."
    ),
)
AWAIT_CALL = Rule(
    code="F102", name="await-async-call", family=FAMILY,
    summary="call of a function that becomes async, not awaited",
    why=(
        "Calling an `async def` returns a coroutine; without `await` nothing runs and Python only warns that "
        "the coroutine was never awaited. Every call of a function that becomes async gets `await`. A generator "
        "that becomes async is iterated with `async for`, and a `@contextmanager` that becomes an "
        "`@asynccontextmanager` (when every use of it is a `with` statement) is entered with `async with`; a "
        "`@contextmanager` used any other way (`stack.enter_context(cm())`) stays sync (F107). Likewise `with x:` "
        "becomes `async with x:` when x is an instance of a class that becomes an async context manager (F101); "
        "an instance entered where its class cannot be inferred (an unannotated parameter, `ExitStack`) is not "
        "seen."
    ),
    before=(
        "async def get_job(db, job_id):\n"
        "    return await db.get(Job, job_id)\n"
        "\n"
        "\n"
        "async def show(db, job_id):\n"
        "    return get_job(db, job_id).to_dict()\n"
    ),
    after=(
        "async def get_job(db, job_id):\n"
        "    return await db.get(Job, job_id)\n"
        "\n"
        "\n"
        "async def show(db, job_id):\n"
        "    return (await get_job(db, job_id)).to_dict()\n"
    ),
    fixable=True,
    fix_notes=(
        "The call is parenthesised where its result is used at once (`(await f()).x`). A generator that becomes "
        "an async generator is iterated with `async for` instead. A call that hands a session to a method of a "
        "receiver whose class cannot be inferred (`plugin.instance.fetch_events(db_session=db)`, where `instance` "
        "is an unannotated property) may run any method of that name the repository defines: those methods share "
        "one color, so the call is awaited when they all become async, bridged (F108) when they stay sync, and a "
        "caller that stays sync keeps them all sync (F107). `asyncio.run(coro())` in a function that "
        "becomes async (it would start an event loop inside the running one) becomes `await coro()`, and so does "
        "`loop.run_until_complete(coro())` on a loop from `asyncio.get_event_loop()` or `new_event_loop()`. A function "
        "that only calls a callable parameter (or hands it on to another such function) awaits the call when "
        "every function handed to it, by every caller, becomes async (`publish_all(self.publish, items)`, a "
        "closure a factory returns into a local); when one of them stays sync or the flow cannot be followed "
        "(the callable is stored, returned or passed to unknown code), the functions that would become async "
        "stay sync instead (F107), with the reason."
    ),
)
ASYNC_ROUTE = Rule(
    code="F103", name="async-route-or-dependency", family=FAMILY,
    summary="FastAPI/Starlette route handler, dependency or exception handler that must become `async def`",
    why=(
        "FastAPI runs a sync route handler or `Depends()` callable in a thread pool, where it cannot await the "
        "async session. As `async def` it runs on the event loop and awaits its database calls. FastAPI accepts "
        "either form, so the route's URL, parameters and responses stay the same."
    ),
    before=(
        '@router.get("/jobs/{job_id}")\n'
        "def read_job(job_id: str, db=Depends(get_db)):\n"
        "    return await db.get(Job, job_id)\n"
    ),
    after=(
        '@router.get("/jobs/{job_id}")\n'
        "async def read_job(job_id: str, db=Depends(get_db)):\n"
        "    return await db.get(Job, job_id)\n"
    ),
    fixable=True,
    fix_notes="Route decorators of an `APIRouter`/`FastAPI`/`Starlette` object, `Depends()`/`Security()` callables "
              "and exception handlers count; the decorator and signature are kept.",
)
ASYNC_TEST = Rule(
    code="F104", name="async-test-or-fixture", family=FAMILY,
    summary="pytest test or fixture that must become async, with the configured async test marker",
    why=(
        "A test that calls migrated code must await it, so it becomes `async def`; pytest needs a plugin to run "
        "coroutine tests and fixtures. By default sqlasync uses the plugin that ships with anyio (a dependency of "
        "FastAPI and Starlette), so a migrated suite needs nothing new installed."
    ),
    before=(
        "import pytest\n"
        "\n"
        "\n"
        "def test_no_jobs(db):\n"
        "    assert await db.scalar(count_jobs) == 0\n"
    ),
    after=(
        "import pytest\n"
        "\n"
        "\n"
        "@pytest.mark.anyio\n"
        "async def test_no_jobs(db):\n"
        "    assert await db.scalar(count_jobs) == 0\n"
    ),
    fixable=True,
    fix_notes=(
        "`test-async-marker = \"anyio\"` (default): tests get `@pytest.mark.anyio`; async fixtures request the "
        "`anyio_backend` fixture, which makes anyio run them for sync tests too (HTTP tests stay unchanged), and "
        "the conftest.py holding them gains a session-scoped `anyio_backend` fixture returning \"asyncio\". "
        "`test-async-marker = \"pytest-asyncio\"`: tests get `@pytest.mark.asyncio` and fixtures "
        "`@pytest_asyncio.fixture`; pytest-asyncio must then be installed."
    ),
)
MAIN_ENTRY = Rule(
    code="F105", name="async-main-entry", family=FAMILY,
    summary="`if __name__ == \"__main__\":` calls a function that becomes async",
    why="A script's entry point has no event loop yet: `asyncio.run()` starts one, runs the coroutine and closes it.",
    before=(
        "import sys\n"
        "\n"
        "\n"
        "async def main():\n"
        "    await purge()\n"
        "    return 0\n"
        "\n"
        "\n"
        "if __name__ == \"__main__\":\n"
        "    sys.exit(main())\n"
    ),
    after=(
        "import asyncio\n"
        "import sys\n"
        "\n"
        "\n"
        "async def main():\n"
        "    await purge()\n"
        "    return 0\n"
        "\n"
        "\n"
        "if __name__ == \"__main__\":\n"
        "    sys.exit(asyncio.run(main()))\n"
    ),
    fixable=True,
    fix_notes="Only when the block makes one such call: two `asyncio.run()` calls would give the engine's pooled "
              "connections two event loops. Functions the block calls beside another one that would become async "
              "stay sync (F107 says why), so no coroutine is left unawaited; when one of them is async already, "
              "the site is reported: wrap the calls in one async function. A call on a line of its own at the top "
              "of a conftest.py (`main()` setting up the test database) counts as an entry point too: pytest imports "
              "the file while it collects, before any test's event loop exists.",
)
BACKGROUND_SESSION = Rule(
    code="F106", name="background-task-session", family=FAMILY,
    summary="the request's session is handed to `background_tasks.add_task(...)`",
    why=(
        "FastAPI closes `yield` dependencies (and so the request's session) before background tasks run: the task "
        "receives a closed session. The task must open its own: `async with SessionLocal() as db:`."
    ),
    before=(
        "from app.core.database import SessionLocal\n"
        "\n"
        "\n"
        "async def refresh_stats(db, user_id):\n"
        "    await db.execute(stmt, {\"user\": user_id})\n"
        "\n"
        "\n"
        "@router.post(\"/refresh\")\n"
        "async def refresh(user_id: str, background_tasks: BackgroundTasks, db=Depends(get_db)):\n"
        "    background_tasks.add_task(refresh_stats, db, user_id)\n"
    ),
    after=(
        "from app.core.database import SessionLocal\n"
        "\n"
        "\n"
        "async def refresh_stats(user_id):\n"
        "    async with SessionLocal() as db:\n"
        "        await db.execute(stmt, {\"user\": user_id})\n"
        "\n"
        "\n"
        "@router.post(\"/refresh\")\n"
        "async def refresh(user_id: str, background_tasks: BackgroundTasks, db=Depends(get_db)):\n"
        "    background_tasks.add_task(refresh_stats, user_id)\n"
    ),
    fixable=True,
    fix_notes=(
        "Fixed when the task function is defined in a migrated file, every reference to it is an `add_task` "
        "passing a session at the same position, and the project has one session factory (a module-level "
        "`sessionmaker`/`async_sessionmaker`, or `session-factory` in the configuration): the parameter is removed, "
        "the body is wrapped in `async with <factory>() as <parameter>:` (committing stays the body's job) and the "
        "argument is dropped at each `add_task`. Otherwise the site is reported."
    ),
)
STAYS_SYNC = Rule(
    code="F107", name="function-stays-sync", family=FAMILY,
    summary="function that needs async but must stay sync (property, special method, Celery task, callback, ...)",
    why=(
        "Some functions are called by code that never awaits: Python reads properties and calls special methods "
        "synchronously, Celery runs tasks in sync workers, Flask calls its views and Flask-RESTful its resource "
        "methods (`get`, `post`, ...) synchronously, Alembic calls a revision's `upgrade()`, a lambda or a sync "
        "callback parameter cannot await. "
        "Making them `async def` would silently hand their callers a coroutine. They stay on the legacy sync path "
        "and their database sites are left with this reason. A property becomes an explicit async method by itself "
        "(F101) only where the repository proves every read of it; here `show` reads `stats.total` on a value of "
        "unknown class, so sqlasync cannot tell that this read is one of `Stats.total`."
    ),
    before=(
        "class Stats:\n"
        "    def __init__(self, db):\n"
        "        self.db = db\n"
        "\n"
        "    @property\n"
        "    def total(self):\n"
        "        return self.db.query(Job).count()\n"
        "\n"
        "\n"
        "def show(stats):\n"
        "    return {\"total\": stats.total}\n"
    ),
    after=(
        "class Stats:\n"
        "    def __init__(self, db):\n"
        "        self.db = db\n"
        "\n"
        "    async def total(self):\n"
        "        return await self.db.scalar(select(func.count()).select_from(Job))\n"
        "\n"
        "\n"
        "async def show(stats: Stats):\n"
        "    return {\"total\": await stats.total()}\n"
    ),
    fix_notes=(
        "A plain `@property` getter becomes `async def name(self)` and every read `obj.name` becomes "
        "`await obj.name()` (F101, F102), and a `functools.cached_property` getter likewise, decorated with "
        "`@compat.cached_per_instance` so that it still runs once per instance, when: it has no setter or deleter "
        "and is not reassigned or deleted (which resets a cached property); it neither overrides "
        "nor is overridden by a member of that name in the class hierarchy; the repository reads it at least once; "
        "and every `.name` anywhere in the repository (reads, calls, `getattr(obj, \"name\")`) is on a receiver "
        "whose class sqlasync knows (`self`, an annotation, a constructor in scope) and, if that class is this one or "
        "a subclass, is a plain read where `await` can go. Otherwise the property stays and the finding names the "
        "first site that prevents it. Not seen: reads that are not Python attribute access of the repository "
        "(a template, pydantic `from_attributes` validation of the object, code outside the project).\n"
        "Fix the rest by hand, by case: a property becomes an explicit async method (`await stats.total()`) once its "
        "readers are typed or rewritten, or its value is loaded up front; a relationship read in a property needs "
        "eager loading or `await obj.awaitable_attrs.rel` (SQLAlchemy's `AsyncAttrs`); a Celery task or a Click "
        "command whose body must await keeps its sync signature and runs that body with `compat.run_from_sync` (F112 "
        "does it where nothing else forbids it); async code can still call the sync function through the "
        "compat bridge `await call_legacy(db, fn, ...)` (F108). The functions of an Alembic revision (a module "
        "that imports `op` from alembic) always stay sync, with their sessions: Alembic calls upgrade() and "
        "downgrade() without awaiting them, on the sync connection `op.get_bind()` hands them; nothing is to be "
        "fixed there."
    ),
)
LEGACY_BRIDGE = Rule(
    code="F108", name="call-legacy-through-bridge", family=FAMILY,
    summary="async code calls a sync function that does session I/O and stays sync (not migrated, or F107)",
    why=(
        "A sync DAO handed an `AsyncSession` fails (`AsyncSession` has no `query()`), and run directly it would "
        "block the event loop. The compat bridge runs it with the async session's own sync `Session` in a "
        "greenlet, on the caller's connection and transaction. The session is the call's first argument "
        "(`call_legacy(db, fn, *rest)`) or any other argument, which stays in place "
        "(`call_legacy(db, fn, x, db_session=db)`: the bridge passes the sync session there). A function that "
        "stays sync and hands its session to such functions (a flow calling sync services) is bridged too, and "
        "keeps its `Session` annotation. So is a constructor handed the session whose `__init__` does I/O with it "
        "(an `__init__` never becomes async), or whose decorator puts a wrapper doing that I/O in its place: "
        "`await call_legacy(db, User, name)`. A generic repository's `self.model(session=db, **data)`, where "
        "`self.model` is a `type[Model]` of a TypeVar bound to a repository class, is bridged when the "
        "constructor of the bound or of any subclass does such I/O; so is a method called on an instance of such "
        "a TypeVar (`item.update(session=db)` on a `-> Model` result) when that method of the bound or of a "
        "subclass does. A function stays sync this way when a caller hands it a session from a sync factory the "
        "run keeps (a class's own `create_engine` + `sessionmaker`, F107 names that call): the code that becomes "
        "async bridges to it. In a lambda that a function calls and awaits the result of "
        "(`safe_try(lambda: fix(db))`), the bridge is not awaited: `lambda: call_legacy(db, fix)` returns its "
        "coroutine like the lambdas beside it that hand on async functions."
    ),
    before=(
        "from celery import shared_task\n"
        "\n"
        "\n"
        "@shared_task\n"
        "def count_jobs(db):\n"
        "    return db.query(Job).count()\n"
        "\n"
        "\n"
        "async def show(db):\n"
        '    return {"jobs": count_jobs(db)}\n'
    ),
    after=(
        "from celery import shared_task\n"
        "from sqlasync.compat import call_legacy\n"
        "\n"
        "\n"
        "@shared_task\n"
        "def count_jobs(db):\n"
        "    return db.query(Job).count()\n"
        "\n"
        "\n"
        "async def show(db):\n"
        '    return {"jobs": await call_legacy(db, count_jobs)}\n'
    ),
    fixable=True,
    fix_notes="Fixed when the call shows which argument is the session; otherwise reported with the reason.",
)
LAZY_LOAD = Rule(
    code="F201", name="relationship-lazy-load", family=FAMILY,
    summary="relationship read on an ORM object in async code: an implicit lazy load (MissingGreenlet)",
    why=(
        "Under `AsyncSession` an unloaded relationship cannot be loaded implicitly on attribute access: it raises "
        "`MissingGreenlet`. Load it with the statement that loads the object (`selectinload`), or await it "
        "explicitly through `AsyncAttrs` (`await obj.awaitable_attrs.rel`). An object returned from an `async "
        "with SessionLocal() as db:` block leaves it detached: a relationship not loaded when the block closes "
        "cannot be loaded at all (`DetachedInstanceError`), so a response model or a `@property` that reads it "
        "afterwards fails. The sync code often got away with it because its session was never closed."
    ),
    before=(
        "from sqlalchemy import ForeignKey, select\n"
        "from sqlalchemy.ext.asyncio import AsyncAttrs\n"
        "from sqlalchemy.orm import DeclarativeBase, relationship\n"
        "\n"
        "\n"
        "class Base(AsyncAttrs, DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
        "\n"
        "\n"
        "async def clip_titles(db, job_id):\n"
        "    job = (await db.scalars(select(Job).where(Job.job_id == job_id))).one()\n"
        "    return [clip.title for clip in job.clips]\n"
    ),
    after=(
        "from sqlalchemy import ForeignKey, select\n"
        "from sqlalchemy.ext.asyncio import AsyncAttrs\n"
        "from sqlalchemy.orm import DeclarativeBase, relationship, selectinload\n"
        "\n"
        "\n"
        "class Base(AsyncAttrs, DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
        "\n"
        "\n"
        "async def clip_titles(db, job_id):\n"
        "    job = (\n"
        "        await db.scalars(\n"
        "            select(Job).options(selectinload(Job.clips)).where(Job.job_id == job_id)\n"
        "        )\n"
        "    ).one()\n"
        "    return [clip.title for clip in job.clips]\n"
    ),
    fixable=True,
    fix_notes=(
        "Relationships are those the repository's models declare (`relationship(...)`), without an eager `lazy=` "
        "strategy. Reads in functions that are async after migration on objects whose class sqlasync can infer "
        "(annotations, query results, loops, fixtures, other relationships) count, unless the relationship was "
        "eager-loaded by the statement or function the object came from, or assigned first. When the object comes "
        "from a statement in the same function (`select(M)`, `db.query(M)`, `db.get(M, pk)`), the statement gains "
        "`.options(selectinload(M.rel))` (`options=[...]` for `get`); otherwise the read becomes "
        "`await obj.awaitable_attrs.rel` (the target of `obj.rel += more` cannot be an `await`: the relationship is "
        "loaded by `await obj.awaitable_attrs.rel` on the line before), which needs the models' declarative base to include `AsyncAttrs` (F202). "
        "Objects whose class cannot be inferred are not reported: sqlasync cannot prove they are ORM objects. "
        "Objects a function returns are followed too, because their readers are elsewhere. Returned from a "
        "session block (`async with <factory>() as db:`), every lazy relationship of the class that the "
        "repository reads is loaded before the block closes: on instances anywhere (`obj.rel` or "
        "`await obj.awaitable_attrs.rel`), in the class's own methods and properties, or as a field of a pydantic "
        "model (directly, or through a property that reads it) that could be validated from the class: not one "
        "that requires a field the class does not have, such as a response built by hand whose `clips` field "
        "only shares the relationship's name. Which callers get the object is not followed, so "
        "this may load more than a given caller needs; it never loads a relationship nothing reads. A single "
        "object gets `await db.refresh(obj, [\"rel\", ...])` after the block's last `commit()`/`refresh(obj)` "
        "(else right before the return, or at the end of the block; a return on one line with an `if` is reported "
        "with the reason); a statement's result returned as it is gets "
        "`selectinload` on that statement. A statement's result returned from a function that does not close the "
        "session gets `selectinload` for what pydantic models and properties read (readers that can await are "
        "fixed where they read). Not followed yet: `yield`, and sessions closed by hand (`db.close()`)."
    ),
)
ASYNC_ATTRS = Rule(
    code="F202", name="declarative-base-async-attrs", family=FAMILY,
    summary="declarative base without `AsyncAttrs` whose models have lazily loaded relationships",
    why="`await obj.awaitable_attrs.rel` (the async way to load a relationship on access) needs the `AsyncAttrs` "
        "mixin on the models' declarative base.",
    before=(
        "from sqlalchemy.orm import DeclarativeBase, relationship\n"
        "\n"
        "\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
    ),
    after=(
        "from sqlalchemy.ext.asyncio import AsyncAttrs\n"
        "from sqlalchemy.orm import DeclarativeBase, relationship\n"
        "\n"
        "\n"
        "class Base(AsyncAttrs, DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
    ),
    fixable=True,
    fix_notes="Reported on a `DeclarativeBase` subclass (after the E rules converted `declarative_base()`) whose "
              "models declare at least one relationship without an eager loading strategy.",
)
EXPIRE_ON_COMMIT = Rule(
    code="F203", name="expire-on-commit", family=FAMILY,
    summary="async session factory that expires objects on commit",
    why=(
        "With `expire_on_commit=True` (the default) every object is expired by `commit()`, and reading any of its "
        "attributes afterwards is implicit I/O, which raises `MissingGreenlet` under asyncio. Objects returned after "
        "a commit (`return job` in a route) are the common case."
    ),
    before=(
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "\n"
        "SessionLocal = async_sessionmaker(engine)\n"
    ),
    after=(
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "\n"
        "SessionLocal = async_sessionmaker(engine, expire_on_commit=False)\n"
    ),
    fixable=True,
    fix_notes="`expire_on_commit=False` is added. A factory that sets `expire_on_commit=True` on purpose is reported "
              "instead: each object used after `commit()` then needs `await db.refresh(obj)` first.",
)

REFRESH_AFTER_ROLLBACK = Rule(
    code="F204", name="refresh-after-rollback", family=FAMILY,
    summary="ORM object read after `rollback()` or `expire_all()` expired it",
    why=(
        "`rollback()` and `expire_all()` expire every object in the session, whatever `expire_on_commit` says. The "
        "legacy code reloaded an expired attribute on its next read; under asyncio that read raises `MissingGreenlet`. "
        "Refreshing the object right after the rollback does the same reload, explicitly."
    ),
    before=(
        "from sqlalchemy.orm import DeclarativeBase\n"
        "\n"
        "\n"
        "class Job(DeclarativeBase):\n"
        '    __tablename__ = "jobs"\n'
        "\n"
        "\n"
        "async def fail(db, job_id):\n"
        "    job = await db.get(Job, job_id)\n"
        "    await db.rollback()\n"
        '    job.status = "failed"\n'
        "    return job.job_id\n"
    ),
    after=(
        "from sqlalchemy.orm import DeclarativeBase\n"
        "\n"
        "\n"
        "class Job(DeclarativeBase):\n"
        '    __tablename__ = "jobs"\n'
        "\n"
        "\n"
        "async def fail(db, job_id):\n"
        "    job = await db.get(Job, job_id)\n"
        "    await db.rollback()\n"
        "    await db.refresh(job)\n"
        '    job.status = "failed"\n'
        "    return job.job_id\n"
    ),
    fixable=True,
    fix_notes="Objects of the repository's mapped classes that were loaded (not constructed) before the rollback and "
              "are read after it, in functions that are async after migration.",
)

VALIDATE_IN_GREENLET = Rule(
    code="F205", name="validate-orm-object-in-greenlet", family=FAMILY,
    summary="pydantic validation of an ORM object in async code, which may lazy load what the schema reads",
    why=(
        "`Schema.model_validate(obj)` (`from_orm` in pydantic 1) reads every field of the schema as an attribute of "
        "`obj`. The legacy code loaded any relationship not loaded yet on that read; under an `AsyncSession` it raises "
        "`MissingGreenlet`. Which relationships the schema reads is often only known at run time (a generic "
        "repository's `self.schema`), so no eager load can be written for it. `AsyncSession.run_sync` runs sync code "
        "in a greenlet where such loads work."
    ),
    before=(
        "async def create(self, data: dict) -> Schema:\n"
        "    item = self.model(**data)\n"
        "    self.session.add(item)\n"
        "    await self.session.commit()\n"
        "    return self.schema.model_validate(item)\n"
    ),
    after=(
        "async def create(self, data: dict) -> Schema:\n"
        "    item = self.model(**data)\n"
        "    self.session.add(item)\n"
        "    await self.session.commit()\n"
        "    return await self.session.run_sync(lambda _: self.schema.model_validate(item))\n"
    ),
    fixable=True,
    fix_notes=(
        "Judged only where the function itself has the object from a session: a statement's result (also through a "
        "loop or a comprehension over it), an object it adds to or refreshes with the session (or one of the objects "
        "it hands to `add_all` or appends to a list it validates from), or an instance of a repository model with lazy relationships (also a generic "
        "repository's `self.model(...)` when a model the TypeVar's bound covers has them); validation of a dict or a "
        "request body is left alone. The session "
        "is the one the object came from, else the first the function uses; without one, or inside a lambda or a "
        "generator expression, the site is reported with the reason. Eager loading where the object is loaded "
        "(`selectinload`) does the same work in fewer round trips when you know what the schema reads."
    ),
)

ENGINE_ACROSS_LOOPS = Rule(
    code="F109", name="engine-across-event-loops", family=FAMILY,
    summary="test suite that runs the async engine on several event loops, where pooled connections cannot follow",
    why=(
        "Each `TestClient` runs the app on an event loop of its own, and so does each async test. An asyncpg or "
        "aiomysql connection belongs to the loop that opened it: once the engine is async, a connection pooled "
        "during one test and checked out in the next fails with \"attached to a different loop\". SQLAlchemy's "
        "advice for an engine shared between loops is not to pool; the app's own pool settings stay as they are "
        "for production, and the tests stop pooling."
    ),
    before=(
        "import pytest\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "\n"
        "engine = create_async_engine(\"postgresql+asyncpg://postgres@localhost/test\")\n"
        "\n"
        "\n"
        "@pytest.fixture\n"
        "def database_url():\n"
        "    return engine.url\n"
    ),
    after=(
        "import pytest\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "from sqlalchemy.pool import Pool\n"
        "\n"
        "engine = create_async_engine(\"postgresql+asyncpg://postgres@localhost/test\")\n"
        "\n"
        "\n"
        "@event.listens_for(Pool, \"checkin\")\n"
        "def close_connection_on_checkin(dbapi_connection, connection_record):\n"
        "    # Each TestClient and each async test runs its own event loop, and an asyncpg or aiomysql\n"
        "    # connection cannot leave the loop that opened it: none is pooled for the next one.\n"
        "    driver = type(connection_record.driver_connection).__module__.partition(\".\")[0]\n"
        "    if driver in (\"asyncpg\", \"aiomysql\"):\n"
        "        connection_record.invalidate()\n"
        "\n"
        "\n"
        "@pytest.fixture\n"
        "def database_url():\n"
        "    return engine.url\n"
    ),
    fixable=True,
    example_path="tests/conftest.py",
    fix_notes=(
        "When the project builds an async engine once migrated (a `create_async_engine(...)` anywhere, including "
        "the one E101 writes), the top-most migrated conftest.py of each test tree gets a `checkin` listener on "
        "every pool, placed after its imports. It names no engine, so it covers several engines and conftests "
        "that import the app lazily, and it closes a connection on the loop that used it. Connections of other "
        "drivers stay pooled: aiosqlite's work on any loop, and a `:memory:` database lives in its connection."
    ),
)

LOOP_DRIVER = Rule(
    code="F110", name="loop-driver-fixture", family=FAMILY,
    summary="fixture that runs coroutines for sync tests (`run(coro)`), whose users become async",
    why=(
        "A suite that tests an async data layer from sync tests often has a fixture handing out "
        "`loop.run_until_complete` (or `asyncio.run`). Once the migration makes those tests and fixtures async "
        "(F104), they already run on an event loop, and `run(...)` fails with \"Cannot run the event loop while "
        "another loop is running\". Async code awaits the coroutine itself, on the loop anyio's plugin runs; a "
        "session-scoped async fixture keeps that loop for the whole session, as the driver's loop did."
    ),
    before=(
        "import asyncio\n"
        "\n"
        "import pytest\n"
        "\n"
        "from app.jobs import count_jobs\n"
        "\n"
        "\n"
        "@pytest.fixture(scope=\"session\")\n"
        "def run():\n"
        "    loop = asyncio.new_event_loop()\n"
        "    yield loop.run_until_complete\n"
        "    loop.close()\n"
        "\n"
        "\n"
        "def test_no_jobs(run):\n"
        "    assert run(count_jobs()) == 0\n"
    ),
    after=(
        "import pytest\n"
        "\n"
        "from app.jobs import count_jobs\n"
        "\n"
        "\n"
        "@pytest.mark.anyio\n"
        "async def test_no_jobs():\n"
        "    assert await count_jobs() == 0\n"
    ),
    fixable=True,
    example_path="tests/test_jobs.py",
    fix_notes=(
        "A driver is a fixture whose value is `<loop>.run_until_complete` of a loop it creates, or `asyncio.run`. "
        "It goes only when every user is known and can become async: the tests and fixtures that request it, and "
        "the module-level helpers they hand it to (`create(run, ...)`), each of which only calls it with one "
        "argument or hands it on; none of them in a closure, lambda or generator expression. Each user becomes "
        "async (tests get the anyio marker, fixtures request `anyio_backend`), `run(x)` becomes `await x`, the "
        "parameter and the arguments handing it on go, and so does the fixture (with `import asyncio` when nothing "
        "else uses it). Otherwise the fixture is reported "
        "with the reason and nothing changes."
    ),
)

BLOCKING_CALL = Rule(
    code="F111", name="blocking-call-in-async", family=FAMILY,
    summary="call that blocks (password hash, HTTP, SMTP, sleep, file I/O, subprocess) in a function that becomes async",
    why=(
        "FastAPI and Starlette run a `def` route handler or dependency in a worker thread, so a slow sync call in it "
        "holds one thread of the pool. Once the migration makes the function `async def`, it runs on the event loop, "
        "and the same call holds the loop: every other request waits for it. The migrated app still passes its "
        "tests, then serves one request at a time. A known blocking call is handed to a worker thread and awaited; "
        "`time.sleep` becomes `asyncio.sleep`."
    ),
    before=(
        "from fastapi import Depends\n"
        "from passlib.context import CryptContext\n"
        "\n"
        "pwd_context = CryptContext(schemes=[\"bcrypt\"])\n"
        "\n"
        "\n"
        "@router.post(\"/users\")\n"
        "def register(name: str, password: str, db=Depends(get_db)):\n"
        "    user = User(name=name, password=pwd_context.hash(password))\n"
        "    db.add(user)\n"
        "    await db.commit()\n"
        "    return {\"id\": user.id}\n"
    ),
    after=(
        "from fastapi import Depends\n"
        "from fastapi.concurrency import run_in_threadpool\n"
        "from passlib.context import CryptContext\n"
        "\n"
        "pwd_context = CryptContext(schemes=[\"bcrypt\"])\n"
        "\n"
        "\n"
        "@router.post(\"/users\")\n"
        "async def register(name: str, password: str, db=Depends(get_db)):\n"
        "    user = User(name=name, password=await run_in_threadpool(pwd_context.hash, password))\n"
        "    db.add(user)\n"
        "    await db.commit()\n"
        "    return {\"id\": user.id}\n"
    ),
    fixable=True,
    fix_notes=(
        "Only functions this run makes async (F101, F103, F104, or another family's rewrite) are looked at; code that "
        "was `async def` before is yours and stays as it is. Known blocking calls, resolved through imports and "
        "module-level bindings (a `pwd_context = CryptContext(...)` in any module, a local `requests.Session()`, a "
        "parameter annotated `Path`): passlib's `CryptContext` hash/verify and `passlib.hash` schemes, "
        "`bcrypt.hashpw/checkpw`, `requests` and `requests.Session` methods, `smtplib.SMTP` and its methods, "
        "`subprocess.run/call/check_call/check_output`, `os.system`, `Path.read_text/write_text/read_bytes/"
        "write_bytes`, `shutil` copies, moves and deletes, `time.sleep`. In a module that imports FastAPI or Starlette, "
        "and in routes and dependencies, `fn(*args, **kwargs)` becomes `await run_in_threadpool(fn, *args, **kwargs)` "
        "(imported from where the module already takes it, else from `fastapi.concurrency`, or `starlette.concurrency` "
        "in Starlette code), which shares the thread limiter FastAPI runs sync handlers under; elsewhere `await "
        "asyncio.to_thread(fn, *args, **kwargs)`. `time.sleep(x)` becomes `await asyncio.sleep(x)`, and `import time` "
        "goes when nothing else uses it. Reported with the reason and left as they are: a blocking call that opens a `with` block "
        "(`with open(...)`, `with smtplib.SMTP(...)`), whose body and exit block too; `open()`, `Path.open()` and "
        "`urllib.request.urlopen()`, whose returned object blocks on every read; `requests` with `stream=True`; a call "
        "in a generator expression; and a call of a sync project function without session I/O whose own body calls "
        "one of the above (one level deep): move such work into a sync helper and offload the helper."
    ),
)

SYNC_ENTRY = Rule(
    code="F112", name="sync-entry-runs-async-body", family=FAMILY,
    summary="function that must keep a sync signature (Click, Celery, a scheduler, a decorator) runs its body async",
    why=(
        "Some functions are called synchronously whatever their body does: Click and Typer commands, Celery tasks, "
        "callbacks registered with a scheduler or a plugin registry, routes behind a decorator that only wraps sync "
        "functions. When the code they call becomes async (their session factory, the services they use), making "
        "them `async def` would hand their callers a coroutine nobody awaits, and leaving them sync would leave those "
        "calls un-awaited. A careful engineer keeps the sync function for its callers and moves the body into an "
        "async twin that the sync function runs to the end. `compat.run_from_sync` runs it on the right event loop: "
        "back on the application's loop when called from one of its worker threads (Starlette's "
        "`run_in_threadpool`, a sync FastAPI route), else on one background loop shared by every sync entry of the "
        "process (a script, a CLI, a Celery worker, a sync test), so that pooled connections never move between "
        "loops."
    ),
    before=(
        "import click\n"
        "\n"
        "\n"
        "@click.command()\n"
        "@click.option(\"--days\", default=30)\n"
        "def purge(days):\n"
        "    \"\"\"Delete the jobs older than DAYS days.\"\"\"\n"
        "    deleted = await delete_jobs_older_than(days)\n"
        "    click.echo(f\"{deleted} jobs deleted\")\n"
    ),
    after=(
        "import click\n"
        "from sqlasync.compat import run_from_sync\n"
        "\n"
        "\n"
        "@click.command()\n"
        "@click.option(\"--days\", default=30)\n"
        "def purge(days):\n"
        "    \"\"\"Delete the jobs older than DAYS days.\"\"\"\n"
        "    return run_from_sync(purge_async, days)\n"
        "\n"
        "\n"
        "async def purge_async(days):\n"
        "    deleted = await delete_jobs_older_than(days)\n"
        "    click.echo(f\"{deleted} jobs deleted\")\n"
    ),
    fixable=True,
    fix_notes=(
        "Fixed for a module-level function or a plain method (not overridden, not a static or class method) of the "
        "migration that is kept sync only by how it is called: a decorator that may not accept coroutine functions "
        "(Click, Typer, Celery, a rate limiter, `tenacity.retry`), a value handed to code that calls it synchronously "
        "(`scheduler.register(purge)`, `Alias(func=self.lookup)`), or a call from a lambda or comprehension. The twin "
        "is named `<name>_async` and placed right after it; the sync function keeps its decorators, signature and "
        "docstring and forwards every argument (`run_from_sync(self.<name>_async, ...)` for a method). Callers that "
        "are async after the run await the twin instead (F102: `await purge_async(days)`, importing it where the "
        "function was imported). Not fixed (F107 with the reason): generators, tests, fixtures and context "
        "managers; a function whose callers hand it a session (their sync session cannot serve an async body); a "
        "function called from async code this run does not rewrite; a function whose twin's name is taken; "
        "SQLAlchemy event listeners, the functions of an Alembic revision, Flask views and special methods, which "
        "stay sync with their sessions. Not seen: a sync entry handed as a value to code that then calls it on the "
        "event loop's thread, outside SQLAlchemy's greenlet; `run_from_sync` raises `SyncEntryOnLoopError` there, "
        "naming the twin to await."
    ),
)

RULES = (BECOMES_ASYNC, AWAIT_CALL, ASYNC_ROUTE, ASYNC_TEST, MAIN_ENTRY, BACKGROUND_SESSION, STAYS_SYNC,
         LEGACY_BRIDGE, LAZY_LOAD, ASYNC_ATTRS, EXPIRE_ON_COMMIT, REFRESH_AFTER_ROLLBACK, VALIDATE_IN_GREENLET,
         ENGINE_ACROSS_LOOPS, LOOP_DRIVER, BLOCKING_CALL, SYNC_ENTRY)
