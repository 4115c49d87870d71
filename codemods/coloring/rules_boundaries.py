"""The rules of family F where the event loop meets code that stays sync: loops, drivers, blocking calls, sync
entries (F109-F112)."""

from __future__ import annotations

from ..core.rule import Rule
from .rules import FAMILY


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

FIXTURE_BY_NAME = Rule(
    code="F113", name="async-fixture-requested-by-name", family=FAMILY,
    summary="`request.getfixturevalue(\"name\")` of a fixture that becomes async, inside a test or fixture that does",
    why=(
        "pytest sets up a fixture a test asks for by name while the test runs. For an async fixture that means "
        "running it on the event loop, which, inside an async test, is already busy running the test: anyio fails "
        "with \"This event loop is already running\". A fixture requested as a parameter is set up before the test "
        "starts, on the loop the test then runs on."
    ),
    before=(
        "import pytest\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "\n"
        "from app.models import User\n"
        "\n"
        "\n"
        "@pytest.fixture\n"
        "async def admin_user(db: AsyncSession, anyio_backend):\n"
        "    user = User(name=\"admin\", admin=True)\n"
        "    db.add(user)\n"
        "    await db.commit()\n"
        "    return user\n"
        "\n"
        "\n"
        "@pytest.mark.anyio\n"
        "async def test_user_page(request, api_client):\n"
        "    owner = request.getfixturevalue(\"admin_user\")\n"
        "    assert api_client.get(f\"/users/{owner.id}\").status_code == 200\n"
    ),
    after=(
        "import pytest\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "\n"
        "from app.models import User\n"
        "\n"
        "\n"
        "@pytest.fixture\n"
        "async def admin_user(db: AsyncSession, anyio_backend):\n"
        "    user = User(name=\"admin\", admin=True)\n"
        "    db.add(user)\n"
        "    await db.commit()\n"
        "    return user\n"
        "\n"
        "\n"
        "@pytest.mark.anyio\n"
        "async def test_user_page(request, api_client, admin_user):\n"
        "    owner = admin_user\n"
        "    assert api_client.get(f\"/users/{owner.id}\").status_code == 200\n"
    ),
    fixable=True,
    example_path="tests/test_users.py",
    fix_notes=(
        "Only inside tests and fixtures this run makes async (or that are async already), and only for fixtures that "
        "are async after the run or request one that is, directly or further down, found like pytest finds them (the "
        "module, then each conftest.py upwards, star imports included). A name "
        "written as a string literal becomes a parameter of the function (added last, once, even when requested "
        "several times) and the call becomes that name. The fixture is then set up for every run of the test, also "
        "where a branch did not request it before: if that matters, split the test. Reported with the reason and "
        "left as it is: a computed name (`getfixturevalue(name)`, a conditional expression), and a name the function "
        "binds otherwise; request each fixture it may name as a parameter by hand. A fixture that is sync all the way "
        "down is left to `getfixturevalue`, which can set it up at any time."
    ),
)
