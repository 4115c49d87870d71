"""The rules of family F for async coloring (F101-F108); rules_boundaries.py and rules_lazy.py hold the others and
recogniser.py their order."""

from __future__ import annotations

from ..core.rule import Rule

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
