"""D: the rules of how code gets hold of a session (the recogniser is acquisition.py)."""

from __future__ import annotations

from ..core.rule import Rule

BY_HAND = Rule(
    code="D101",
    name="session-created-by-hand",
    family="acquisition",
    summary="`SessionLocal()` called by hand",
    why=(
        "A session created by hand must be closed by hand on every path; forgotten `close()` calls leak pooled "
        "connections. Request handlers should receive the session from `Depends(get_db)`; scripts and jobs "
        "should use `async with SessionLocal() as db:` so it is always closed."
    ),
    before=(
        "from app.core.database import get_db\n"
        "\n"
        "\n"
        "@router.get(\"/jobs\")\n"
        "def list_jobs():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        return db.query(Job).all()\n"
        "    finally:\n"
        "        db.close()\n"
    ),
    after=(
        "from app.core.database import get_db\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "\n"
        "\n"
        "@router.get(\"/jobs\")\n"
        "def list_jobs(db: AsyncSession = Depends(get_db)):\n"
        "    return db.query(Job).all()\n"
    ),
    fixable=True,
    fix_notes=(
        "In a FastAPI route handler (a function decorated with `@router.get(...)`, `@app.post(...)`, ...) the "
        "`db = SessionLocal()` statement becomes a `db: AsyncSession = Depends(get_db)` parameter and every "
        "`db.close()` goes (a `try` left with an empty `finally` is unwrapped). `get_db` is the one the file "
        "defines or imports already, else `get-db` in [tool.sqlasync]; with neither, the handler gets the "
        "block form below. Everywhere else (scripts, background jobs, tests, services) the statements that "
        "use the session, or anything loaded from it, move into `async with SessionLocal() as db:` and the "
        "`close()` calls go; `with SessionLocal() as db:` becomes `async with`, `Session(engine)` becomes "
        "`AsyncSession(engine)`. Left alone, with the reason: a session that is returned, stored, aliased, "
        "used in a nested function or lambda, bound twice, or used outside the block that creates it, a "
        "`Session(bind=op.get_bind())` in an Alembic revision (it runs on a sync connection), and "
        "every site where `async with` cannot go (properties, special methods, Celery tasks, module level). "
        "`--target sync` writes the same with `with` and `Session`."
    ),
)
CONTAINER_RESOLVE = Rule(
    code="D102",
    name="container-resolve-session",
    family="acquisition",
    summary='`Container.resolve("db_session")` (service locator)',
    why=(
        "The service locator hands out a new session per call and nobody closes it: every request leaks a "
        "pooled connection until the pool is exhausted. Inject the session with `Depends(get_db)` instead."
    ),
    before=(
        "from app.core.database import get_db\n"
        "\n"
        "\n"
        "@router.get(\"/items\")\n"
        "def get_items():\n"
        "    db = Container.resolve(\"db_session\")\n"
        "    return db.query(Item).all()\n"
    ),
    after=(
        "from app.core.database import get_db\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "\n"
        "\n"
        "@router.get(\"/items\")\n"
        "def get_items(db: AsyncSession = Depends(get_db)):\n"
        "    return db.query(Item).all()\n"
    ),
    fixable=True,
    fix_notes=(
        "In a route handler the statement becomes a `db: AsyncSession = Depends(get_db)` parameter, as for "
        "D101. In any other function (the service layer) it becomes `async with SessionLocal() as db:` "
        "around the statements that use the session: the registered factory handed out a new session on "
        "every `resolve()`, so each such function already had a session of its own, and it keeps exactly "
        "those transaction boundaries, now closed at the end. Passing the caller's session in instead would "
        "merge transactions (a service's `commit()` would commit its caller's pending changes) and needs "
        "every caller in view. The session factory is the one the file imports, else `session-factory` in "
        "[tool.sqlasync], else the one the project defines (the single module outside the tests that binds "
        "`SessionLocal = sessionmaker(...)`); `get_db` likewise, and a project that has none gets one written "
        "next to its sync session factory (E102) and imported from there. With no factory to be found the site "
        "is left with that reason, and then the registration stays too (D104)."
    ),
)
NEXT_GET_DB = Rule(
    code="D103",
    name="next-get-db",
    family="acquisition",
    summary="`next(get_db())` drains a dependency generator by hand",
    why=(
        "`next(get_db())` runs the dependency up to its `yield` and never resumes it, so the `finally: "
        "db.close()` never runs and the session leaks."
    ),
    before="async def main():\n    db = next(get_db())\n    print(db.query(Job).count())\n",
    after=(
        "from contextlib import asynccontextmanager\n"
        "\n"
        "\n"
        "async def main():\n"
        "    async with asynccontextmanager(get_db)() as db:\n"
        "        print(db.query(Job).count())\n"
    ),
    fixable=True,
    fix_notes=(
        "Outside a route handler the dependency itself is entered, `async with asynccontextmanager(get_db)() "
        "as db:`, around the statements that use the session, so its commit, rollback and close all run. In "
        "a route handler the statement becomes a `Depends(get_db)` parameter."
    ),
)
REGISTER_FACTORY = Rule(
    code="D104",
    name="container-session-factory",
    family="acquisition",
    summary='`Container.register_factory("db_session", ...)`',
    why="Registering a session factory in the service locator is what makes the leaking `resolve()` calls possible.",
    before='Container.register_factory("db_session", lambda: SessionLocal())\n',
    after=(
        "# Database sessions no longer come from the Container: request handlers take `db: AsyncSession =\n"
        "# Depends(get_db)`, other code opens `async with SessionLocal() as db:`.\n"
    ),
    fixable=True,
    fix_notes=(
        "The registration statement is replaced by a comment saying where sessions come from now. It stays, "
        "with the reason, while any `resolve()` of the same key anywhere in the project is left as it is "
        "(a D102 site with a reason, a suppressed one, D102 not selected, or a file this run does not migrate): "
        "without the registration those "
        "calls would fail at run time."
    ),
)
