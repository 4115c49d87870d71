"""What the sqlasync.compat transition runtime costs, side by side, on PostgreSQL and SQLite.

For single-row queries it measures, per call (sequential, median of rounds) and
as throughput (concurrent tasks sharing the pool):

  (a) native AsyncSession code: ``select(Job).filter(...).limit(1)``
  (b) the same legacy sync DAO (``db.query(Job).filter(...).first()``) through
      ``call_legacy`` on an AsyncSession (greenlet bridge)
  (c) the same DAO on a plain sync Session (sync twin engine, psycopg2/pysqlite)
  (d) raw asyncpg vs the asyncpg facade: ``conn.fetchrow`` on an acquired
      connection, and ``pool.fetchrow`` (acquire + query + release per call)

Targets: (b) within 15% of (a); facade within 5% of raw asyncpg.  Latency
comparisons use each variant's best round (rounds are interleaved and their
order alternates); median and worst rounds are printed alongside.

    python benchmarks/bench_compat.py --postgres-url postgresql://postgres@127.0.0.1:5432/test

The PostgreSQL URL may also come from SQLASYNC_TEST_POSTGRES_URL; the benchmark
creates its own database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import String, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sqlasync.compat import Database, LegacyDatabaseAccessWarning, call_legacy

ROWS = 1000
CONCURRENCY = 10
RAW_QUERY = "SELECT id, job_id, status FROM jobs WHERE job_id = $1"


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(32))


def get_job(db: Session, job_id: str) -> Job | None:
    """The legacy DAO, exactly as it was written against a sync Session."""
    return db.query(Job).filter(Job.job_id == job_id).first()


def job_key(number: int) -> str:
    return f"job-{number % ROWS:05d}"


@dataclass
class Measurement:
    label: str
    latencies_us: list[float] = field(default_factory=list)
    # This process's CPU time per call: on a shared machine it moves far less than wall time, and the
    # facade's cost over raw asyncpg is all client-side CPU (both send the same statements).
    cpu_us: list[float] = field(default_factory=list)
    throughput: float | None = None

    @property
    def latency_us(self) -> float:
        """Best round: on a shared machine other load only ever adds time (timeit's convention)."""
        return min(self.latencies_us)

    @property
    def median_us(self) -> float:
        return statistics.median(self.latencies_us)


AsyncCall = Callable[[int], Awaitable[object]]


async def time_sequential(call: AsyncCall, iterations: int) -> tuple[float, float]:
    """Wall and CPU µs per call."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for number in range(iterations):
        await call(number)
    return ((time.perf_counter() - started) / iterations * 1e6,
            (time.process_time() - cpu_started) / iterations * 1e6)


async def time_concurrent(make_worker_call: Callable[[], Awaitable[AsyncCall]], iterations: int) -> float:
    """ops/s of CONCURRENCY tasks, each with its own session/connection source, sharing the pool."""

    async def worker(offset: int) -> None:
        call = await make_worker_call()
        for number in range(offset, iterations, CONCURRENCY):
            await call(number)

    started = time.perf_counter()
    await asyncio.gather(*(worker(offset) for offset in range(CONCURRENCY)))
    return iterations / (time.perf_counter() - started)


def time_sync_sequential(call: Callable[[int], object], iterations: int) -> float:
    started = time.perf_counter()
    for number in range(iterations):
        call(number)
    return (time.perf_counter() - started) / iterations * 1e6


def time_sync_threads(database: Database, iterations: int) -> float:
    def worker(offset: int) -> None:
        with database.sync_sessionmaker() as session:
            for number in range(offset, iterations, CONCURRENCY):
                get_job(session, job_key(number))

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return iterations / (time.perf_counter() - started)


async def seed(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with database.sessionmaker() as session, session.begin():
        session.add_all(Job(job_id=job_key(number), status="queued") for number in range(ROWS))


async def bench_backend(url: str, iterations: int, rounds: int) -> list[Measurement]:
    database = Database(url, pool_size=5, max_overflow=0)
    await seed(database)
    facade = database.asyncpg_pool()
    raw_pool = None
    if database.driver.is_asyncpg:
        import asyncpg

        raw_pool = await asyncpg.create_pool(database.sync_url.replace("+psycopg2", ""), min_size=5, max_size=5)

    native = Measurement("(a) native AsyncSession select()")
    bridged = Measurement("(b) legacy DAO via call_legacy bridge")
    plain_sync = Measurement("(c) legacy DAO on sync Session")
    raw_conn = Measurement("(d) raw asyncpg conn.fetchrow")
    facade_conn = Measurement("(d) facade conn.fetchrow")
    raw_pool_call = Measurement("(d) raw asyncpg pool.fetchrow")
    facade_pool_call = Measurement("(d) facade pool.fetchrow")

    statement_for = lambda number: select(Job).filter(Job.job_id == job_key(number)).limit(1)  # noqa: E731

    try:
        async with database.sessionmaker() as session, facade.acquire() as facade_connection:
            raw_connection = await raw_pool.acquire() if raw_pool else None

            async def native_call(number: int) -> object:
                return (await session.execute(statement_for(number))).scalars().first()

            async def bridged_call(number: int) -> object:
                return await call_legacy(session, get_job, job_key(number))

            async def facade_conn_call(number: int) -> object:
                return await facade_connection.fetchrow(RAW_QUERY, job_key(number))

            async def facade_pool_call_(number: int) -> object:
                return await facade.fetchrow(RAW_QUERY, job_key(number))

            async def raw_conn_call(number: int) -> object:
                return await raw_connection.fetchrow(RAW_QUERY, job_key(number))

            async def raw_pool_call_(number: int) -> object:
                return await raw_pool.fetchrow(RAW_QUERY, job_key(number))

            sync_session = database.sync_sessionmaker()
            sync_call = lambda number: get_job(sync_session, job_key(number))  # noqa: E731

            pairs: list[tuple[Measurement, AsyncCall]] = [
                (native, native_call),
                (bridged, bridged_call),
                (facade_conn, facade_conn_call),
                (facade_pool_call, facade_pool_call_),
            ]
            if raw_pool is not None:
                pairs += [(raw_conn, raw_conn_call), (raw_pool_call, raw_pool_call_)]
            for _, call in pairs:  # warm caches, statements and connections
                await time_sequential(call, min(200, iterations))
            time_sync_sequential(sync_call, min(200, iterations))
            for round_number in range(rounds):
                # Alternate the order each round so drift on a busy machine hits every variant alike.
                ordered = pairs if round_number % 2 == 0 else list(reversed(pairs))
                for measurement, call in ordered:
                    wall, cpu = await time_sequential(call, iterations)
                    measurement.latencies_us.append(wall)
                    measurement.cpu_us.append(cpu)
                plain_sync.latencies_us.append(time_sync_sequential(sync_call, iterations))
            sync_session.close()
            if raw_connection is not None:
                await raw_pool.release(raw_connection)

        async def native_worker() -> AsyncCall:
            session = database.sessionmaker()

            async def call(number: int) -> object:
                result = (await session.execute(statement_for(number))).scalars().first()
                await session.commit()  # give the connection back between calls, as a request would
                return result

            return call

        async def bridged_worker() -> AsyncCall:
            session = database.sessionmaker()

            async def call(number: int) -> object:
                result = await call_legacy(session, get_job, job_key(number))
                await session.commit()
                return result

            return call

        async def facade_worker() -> AsyncCall:
            return facade_pool_call_

        async def raw_worker() -> AsyncCall:
            return raw_pool_call_

        native.throughput = await time_concurrent(native_worker, iterations)
        bridged.throughput = await time_concurrent(bridged_worker, iterations)
        facade_pool_call.throughput = await time_concurrent(facade_worker, iterations)
        if raw_pool is not None:
            raw_pool_call.throughput = await time_concurrent(raw_worker, iterations)
        plain_sync.throughput = await asyncio.to_thread(time_sync_threads, database, iterations)
        assert database.engine.pool.checkedout() == 0
    finally:
        if raw_pool is not None:
            await raw_pool.close()
        await database.dispose()

    if raw_pool is None:
        return [native, bridged, plain_sync, facade_conn, facade_pool_call]
    return [native, bridged, plain_sync, raw_conn, facade_conn, raw_pool_call, facade_pool_call]


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    import psycopg2

    name = f"bench_compat_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def percent_over(value: float, reference: float) -> str:
    return f"{(value / reference - 1) * 100:+.1f}%"


def report(backend: str, measured: list[Measurement]) -> list[str]:
    by_label = {m.label: m for m in measured}
    lines = [
        f"\n{backend}",
        f"  {'variant':42} {'best µs/call':>12} {'median µs':>10} {'worst µs':>9} {'best cpu µs':>11} "
        f"{'ops/s (10 tasks)':>17}",
    ]
    for m in measured:
        throughput = f"{m.throughput:,.0f}" if m.throughput else "-"
        cpu = f"{min(m.cpu_us):11.1f}" if m.cpu_us else f"{'-':>11}"
        lines.append(
            f"  {m.label:42} {m.latency_us:12.1f} {m.median_us:10.1f} {max(m.latencies_us):9.1f} {cpu} {throughput:>17}"
        )
    native, bridged = by_label["(a) native AsyncSession select()"], by_label["(b) legacy DAO via call_legacy bridge"]
    verdict = "within" if bridged.latency_us <= native.latency_us * 1.15 else "OVER"
    lines.append(f"  bridge vs native latency: {percent_over(bridged.latency_us, native.latency_us)} ({verdict} 15%)")
    if native.throughput and bridged.throughput:
        lines.append(f"  bridge vs native throughput: {percent_over(bridged.throughput, native.throughput)}")
    for scope in ("conn", "pool"):
        raw = by_label.get(f"(d) raw asyncpg {scope}.fetchrow")
        facade = by_label[f"(d) facade {scope}.fetchrow"]
        if raw is None:
            continue
        verdict = "within" if facade.latency_us <= raw.latency_us * 1.05 else "OVER"
        lines.append(
            f"  facade vs raw asyncpg {scope}.fetchrow latency: "
            f"{percent_over(facade.latency_us, raw.latency_us)} ({verdict} 5%), median "
            f"{percent_over(facade.median_us, raw.median_us)}, cpu {percent_over(min(facade.cpu_us), min(raw.cpu_us))}"
        )
        if raw.throughput and facade.throughput:
            lines.append(f"  facade vs raw asyncpg {scope}.fetchrow throughput: {percent_over(facade.throughput, raw.throughput)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("SQLASYNC_TEST_POSTGRES_URL"))
    parser.add_argument("--iterations", type=int, default=1000, help="calls per variant per round")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", LegacyDatabaseAccessWarning)

    output = [f"sqlasync.compat benchmark: {args.iterations} calls x {args.rounds} rounds, single-row lookups, "
              f"pool_size=5, Python {sys.version.split()[0]}"]
    if args.postgres_url:
        with fresh_postgres_database(args.postgres_url) as url:
            output += report("postgresql (asyncpg / psycopg2)", asyncio.run(bench_backend(url, args.iterations, args.rounds)))
    else:
        output.append("\npostgresql: skipped (no --postgres-url and no SQLASYNC_TEST_POSTGRES_URL)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        output += report("sqlite (aiosqlite / pysqlite)", asyncio.run(bench_backend(url, args.iterations, args.rounds)))
    print("\n".join(output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
