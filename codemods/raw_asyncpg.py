"""R: raw asyncpg pools and connections used next to (or instead of) SQLAlchemy."""

from __future__ import annotations

import libcst as cst

from .evidence import Kind, dotted_name
from .family import NO_REWRITE_YET, Family, Recogniser, words
from .rule import Rule

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
)
ACQUIRE = Rule(
    code="R102", name="asyncpg-acquire", family="asyncpg",
    summary="`pool.acquire()` takes a raw asyncpg connection",
    why="Raw connections bypass the session: no unit of work, no ORM, and their own transaction rules.",
    before=(
        "async def get_job(pool: asyncpg.Pool, job_id: int):\n"
        "    async with pool.acquire() as conn:\n"
        "        return await conn.fetchrow(\"SELECT * FROM jobs WHERE id = $1\", job_id)\n"
    ),
    after=(
        "async def get_job(db: AsyncSession, job_id: int):\n"
        "    return (await db.execute(text(\"SELECT * FROM jobs WHERE id = :p1\"), {\"p1\": job_id})).mappings().first()\n"
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
    before='rows = await conn.fetch("SELECT id, title FROM jobs WHERE status = $1", status)\n',
    after='rows = (await db.execute(text("SELECT id, title FROM jobs WHERE status = :p1"), {"p1": status})).mappings().all()\n',
)
TRANSACTION = Rule(
    code="R104", name="asyncpg-transaction", family="asyncpg",
    summary="`conn.transaction()` block",
    why="The session owns the transaction after migration: `async with db.begin():` (or the request's commit).",
    before=(
        "async def delete_clips(conn: asyncpg.Connection, job_id: int):\n"
        "    async with conn.transaction():\n"
        "        await conn.execute(\"DELETE FROM clips WHERE job_id = $1\", job_id)\n"
    ),
    after=(
        "async def delete_clips(db: AsyncSession, job_id: int):\n"
        "    async with db.begin():\n"
        "        await db.execute(text(\"DELETE FROM clips WHERE job_id = :p1\"), {\"p1\": job_id})\n"
    ),
)
RULES = (CREATE_POOL, ACQUIRE, QUERY_CALL, TRANSACTION)
QUERY_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany"})


class RawAsyncpgRecogniser(Recogniser):
    rules = {r.code: r for r in RULES}

    def visit_Call(self, node: cst.Call) -> None:
        if self.evidence.callee_is(node, ("asyncpg.create_pool", "asyncpg.pool.create_pool")):
            self.report("R101", node, "`asyncpg.create_pool()` opens a pool beside the SQLAlchemy engine",
                        reason=NO_REWRITE_YET)
            return
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        sql = node.args[0].value if node.args else None
        if method == "acquire":
            evidence = self.evidence.asyncpg(func.value)
            if evidence is not None and evidence.kind is Kind.ASYNCPG_POOL:
                self.report("R102", node, f"`{dotted_name(func.value)}.acquire()` takes a raw asyncpg connection "
                            f"({evidence.describe()})", reason=NO_REWRITE_YET)
        elif method == "transaction":
            evidence = self.evidence.asyncpg(func.value)
            if evidence is not None:
                self.report("R104", node, f"`{dotted_name(func.value)}.transaction()` is an asyncpg transaction "
                            f"({evidence.describe()})", reason=NO_REWRITE_YET)
        elif method in QUERY_METHODS:
            evidence = self.evidence.asyncpg(func.value, sql=sql, fetch_method=method.startswith("fetch"))
            if evidence is not None and self.evidence.session(func.value) is None:
                self.report("R103", node, f"`{dotted_name(func.value)}.{method}()` runs raw asyncpg SQL "
                            f"({evidence.describe()})", reason=NO_REWRITE_YET)


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
)
