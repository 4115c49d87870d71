"""R: raw asyncpg pools and connections used next to (or instead of) SQLAlchemy."""

from __future__ import annotations

import libcst as cst

from ..core.nodes import dotted_name
from ..core.receivers import Kind
from ..core.family import Family, FileContext, Recogniser, words
from .plan import build_plan
from .units import QUERY_METHODS, DriverSql, Site, Unit
from .rewrite import rewrite
from ..core.rule import Rule

_SESSION_SOURCE = (
    "The session comes from the async session factory: `session-factory` in [tool.sqlasync], else an "
    "`async_sessionmaker` (or `SessionLocal`) the file defines or imports; with none the site is left, saying so. "
    "The function keeps its signature, so callers that still pass the pool keep working while they are migrated; "
    "drop the unused pool parameter once none does. "
)
_WHOLE_FUNCTION = (
    "A function's asyncpg code converts as a whole when any of its R sites is selected, and only if every site "
    "in it can (SQL built at run time, a connection handed in by the caller, a result used in a way SQLAlchemy "
    "cannot reproduce each leave the whole function, every site saying why)."
)
CREATE_POOL = Rule(
    code="R101", name="asyncpg-create-pool", family="asyncpg",
    summary="`asyncpg.create_pool(...)` opens a second connection pool",
    why=(
        "A raw asyncpg pool next to the SQLAlchemy engine means two pools, two configurations and two sets of "
        "connection limits against one database. During the transition `sqlasync.compat` serves the asyncpg "
        "surface from the engine's pool; migrated code uses the `AsyncSession`."
    ),
    before="import asyncpg\n\npool = await asyncpg.create_pool(dsn=DATABASE_URL, min_size=1, max_size=10)\n",
    after="engine = create_async_engine(to_async_url(DATABASE_URL), pool_size=10)\n",
    fix_notes=(
        "Replaced by hand. First step: `pool = compat.configure(DATABASE_URL, pool_size=10).asyncpg_pool()` keeps "
        "every legacy `pool.acquire()` / `pool.fetch(...)` working on the engine's own pool while the R103 sites "
        "are migrated; once none is left, remove the pool."
    ),
)
ACQUIRE = Rule(
    code="R102", name="asyncpg-acquire", family="asyncpg",
    summary="`pool.acquire()` takes a raw asyncpg connection",
    why="Raw connections bypass the session: no unit of work, no ORM, and their own transaction rules.",
    before=(
        "import asyncpg\n"
        "from app.db import SessionLocal\n"
        "\n"
        "\n"
        "async def get_job(pool: asyncpg.Pool, job_id: int):\n"
        "    async with pool.acquire() as conn:\n"
        "        return await conn.fetchrow(\"SELECT * FROM jobs WHERE id = $1\", job_id)\n"
    ),
    after=(
        'import asyncpg\n'
        'from app.db import SessionLocal\n'
        'from sqlalchemy import text\n'
        '\n'
        '\n'
        'async def get_job(pool: asyncpg.Pool, job_id: int):\n'
        '    async with SessionLocal.begin() as db:\n'
        '        return (await db.execute(\n'
        '            text("SELECT * FROM jobs WHERE id = :job_id"),\n'
        '            {"job_id": job_id},\n'
        '        )).mappings().first()\n'
    ),
    fixable=True,
    fix_notes=(
        "`async with pool.acquire() as conn:` becomes `async with SessionLocal() as db:`, and the calls on `conn` "
        "become session calls. asyncpg autocommits each statement outside `conn.transaction()`, so each such "
        "statement gets its own `async with db.begin():` (a block holding just one statement becomes "
        "`async with SessionLocal.begin() as db:`). Only `async with` acquisitions convert: a connection from "
        "`await pool.acquire()` is released by hand, and one handed in as a parameter carries its caller's "
        "transaction. " + _SESSION_SOURCE + _WHOLE_FUNCTION
    ),
)
QUERY_CALL = Rule(
    code="R103", name="asyncpg-query", family="asyncpg",
    summary="`conn.fetch/fetchrow/fetchval/execute/executemany` with `$n` SQL",
    why=(
        "asyncpg calls take `$n` placeholders and return asyncpg `Record`s or status strings such as "
        "`\"UPDATE 3\"`; `execute` outside a transaction autocommits. The SQLAlchemy equivalent binds named "
        "parameters through `text()`, returns mappings and rowcounts, and always runs inside a transaction "
        "that must be committed."
    ),
    before=(
        "import asyncpg\n"
        "from app.db import SessionLocal\n"
        "\n"
        "\n"
        "async def archive(pool: asyncpg.Pool, owner: str) -> int:\n"
        "    status = await pool.execute(\"UPDATE jobs SET archived = true WHERE owner = $1\", owner)\n"
        "    return int(status.split()[-1])\n"
    ),
    after=(
        'import asyncpg\n'
        'from app.db import SessionLocal\n'
        'from sqlalchemy import text\n'
        '\n'
        '\n'
        'async def archive(pool: asyncpg.Pool, owner: str) -> int:\n'
        '    async with SessionLocal.begin() as db:\n'
        '        status = await db.execute(\n'
        '            text("UPDATE jobs SET archived = true WHERE owner = :owner"),\n'
        '            {"owner": owner},\n'
        '        )\n'
        '    return status.rowcount\n'
    ),
    fixable=True,
    fix_notes=(
        "`fetch` -> `(await db.execute(text(sql), params)).mappings().all()`, `fetchrow` -> `.mappings().first()`, "
        "`fetchval` -> `.scalar()`, `execute` -> `await db.execute(...)`, `executemany` -> `execute` with a list of "
        "parameter dicts (skipped when the list is empty, which asyncpg allows and SQLAlchemy refuses). Records "
        "read only by position (`row[0]`) stay rows (`.first()` / `.all()`). `$n` become named binds, found by "
        "the runtime's SQL lexer (never inside literals, comments, quoted identifiers or dollar-quoted bodies); "
        "`$1::int` becomes `CAST(:p AS int)`; a `$n` used twice is one bind; `x = ANY($n)` becomes an expanding "
        "`x IN :n`. SQL that `text()` would misread (a `:word` inside a literal) or a `$n` constant runs unchanged "
        "through `exec_driver_sql`. What the result touches changes with it: `json.loads(row[\"col\"])` goes "
        "(the dialect decodes JSON/JSONB), including in helpers of the module the rows are handed to "
        "(converted only when every caller of the helper is), `asyncpg.Record` annotations there become "
        "`RowMapping`, and counts read from status strings become `rowcount`. A call on the pool itself "
        "(`pool.fetch(...)`) takes a connection for one autocommitted statement: the statement is wrapped in "
        "`async with SessionLocal.begin() as db:`. SQL built with f-strings, `+`, `%` or `.format()` (X101) is "
        "never converted. " + _SESSION_SOURCE + _WHOLE_FUNCTION
    ),
)
TRANSACTION = Rule(
    code="R104", name="asyncpg-transaction", family="asyncpg",
    summary="`conn.transaction()` block",
    why="The session owns the transaction after migration: `async with db.begin():` (or the request's commit).",
    before=(
        "import asyncpg\n"
        "from app.db import SessionLocal\n"
        "\n"
        "\n"
        "async def move(pool: asyncpg.Pool, item_id: int, slot: int):\n"
        "    async with pool.acquire() as conn:\n"
        "        async with conn.transaction():\n"
        "            await conn.execute(\"UPDATE items SET slot = $2 WHERE id = $1\", item_id, slot)\n"
        "            await conn.execute(\"INSERT INTO moves (item_id, slot) VALUES ($1, $2)\", item_id, slot)\n"
    ),
    after=(
        'import asyncpg\n'
        'from app.db import SessionLocal\n'
        'from sqlalchemy import text\n'
        '\n'
        '\n'
        'async def move(pool: asyncpg.Pool, item_id: int, slot: int):\n'
        '    async with SessionLocal() as db:\n'
        '        async with db.begin():\n'
        '            await db.execute(\n'
        '                text("UPDATE items SET slot = :slot WHERE id = :item_id"),\n'
        '                {"item_id": item_id, "slot": slot},\n'
        '            )\n'
        '            await db.execute(\n'
        '                text("INSERT INTO moves (item_id, slot) VALUES (:item_id, :slot)"),\n'
        '                {"item_id": item_id, "slot": slot},\n'
        '            )\n'
    ),
    fixable=True,
    fix_notes=(
        "`async with conn.transaction():` on a connection from `async with pool.acquire()` becomes "
        "`async with db.begin():` (a nested one `db.begin_nested()`): committed when the block ends, rolled back "
        "on an exception, as before. Transactions with isolation/readonly/deferrable options are left for "
        "conversion by hand. " + _WHOLE_FUNCTION
    ),
)
RULES = (CREATE_POOL, ACQUIRE, QUERY_CALL, TRANSACTION)


class RawAsyncpgRecogniser(Recogniser):
    """Finds asyncpg uses while visiting; decides what converts once the whole file is seen (the plan)."""

    rules = {r.code: r for r in RULES}

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.sites: list[Site] = []

    def visit_Call(self, node: cst.Call) -> None:
        if self.evidence.callee_is(node, ("asyncpg.create_pool", "asyncpg.pool.create_pool")):
            self.sites.append(Site("R101", node, "`asyncpg.create_pool()` opens a pool beside the SQLAlchemy engine"))
            return
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        sql = node.args[0].value if node.args else None
        if method == "acquire":
            evidence = self.evidence.asyncpg(func.value)
            if evidence is not None and evidence.kind is Kind.ASYNCPG_POOL:
                self.sites.append(Site("R102", node, f"`{dotted_name(func.value)}.acquire()` takes a raw asyncpg "
                                       f"connection ({evidence.describe()})", evidence))
        elif method == "transaction":
            evidence = self.evidence.asyncpg(func.value)
            if evidence is not None:
                self.sites.append(Site("R104", node, f"`{dotted_name(func.value)}.transaction()` is an asyncpg "
                                       f"transaction ({evidence.describe()})", evidence))
        elif method in QUERY_METHODS:
            evidence = self.evidence.asyncpg(func.value, sql=sql, fetch_method=method.startswith("fetch"))
            if evidence is not None and self.evidence.session(func.value) is None:
                self.sites.append(Site("R103", node, f"`{dotted_name(func.value)}.{method}()` runs raw asyncpg SQL "
                                       f"({evidence.describe()})", evidence))

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self.sites:
            return
        plan = build_plan(self.context, self.sites)
        for site in self.sites:
            reason = plan.reasons.get(id(site.call))
            if reason is not None:
                self.report(site.code, site.call, site.message, reason=reason)
            else:
                self.report(site.code, site.call, site.message + _conversion_note(plan.unit_of[id(site.call)], site),
                            fixable=True, data=plan)


def _conversion_note(unit: Unit, site: Site) -> str:
    query = next((q for q in unit.queries if q.site is site), None)
    if query is None:
        return ""
    if isinstance(query.sql, DriverSql):
        return f"; it will run unchanged through `exec_driver_sql` ({query.sql.why})"
    if query.sql.bound.expanding:
        return "; `= ANY($n)` becomes an expanding `IN`, which every database understands"
    return ""


FAMILY = Family(
    prefix="R",
    name="asyncpg",
    rules=RULES,
    recogniser=RawAsyncpgRecogniser,
    triggers=lambda config: (
        (rb"\.\s*(?:fetch|fetchrow|fetchval|execute|executemany|acquire|transaction)\s*\(",
         rb"asyncpg|\$\d|\b(?:" + words(config.asyncpg_names) + rb")\b"),
        (rb"create_pool",),
    ),
    rewrite=rewrite,
)
