"""A fixture FastAPI service under load, as written (legacy) and after `sqlasync migrate`, on PostgreSQL.

The fixture is copied twice into a scratch folder; one copy is migrated in full (`python -m sqlasync migrate`,
every rule, as tests/test_fixtures_migrated.py does). Each copy gets a fresh PostgreSQL database, creates its
schema itself (its lifespan's `init_db()`) and is seeded with the same data; then it runs as a real server
(uvicorn, one worker, 127.0.0.1) while N concurrent clients send a fixed mix of reads and writes for a
warm-up and then a measured duration. Prints requests/s, p50/p90/p99 latency and errors side by side.

    python benchmarks/bench_load.py                                  # jobs_api, 100 clients, 5 s + 20 s
    python benchmarks/bench_load.py --duration 5 --clients 20 --json

Both apps keep the engine settings they were written with: the legacy app's `create_engine(...)` and the
migrated app's `create_async_engine(...)` pass the same arguments and no pool size, so both pools are
SQLAlchemy's default QueuePool (pool_size=5, max_overflow=10); the peak of server connections each app
opened is printed to show it. The legacy app's `def` handlers run in FastAPI's threadpool (anyio's default
40 threads), its `async def` handlers on the event loop; the migrated app runs everything on the loop.

With more clients than pool connections the legacy jobs_api stops answering: a `def` handler keeps its
session's connection until FastAPI has validated the response, which for a `def` handler needs a threadpool
thread again, while every thread waits for a connection (and its `async def` handlers block the event loop
waiting for one); only pool_timeout (30 s) breaks it. That shows as errors: timeouts, or requests unanswered
since before the measured window. `--clients 15` (the pools' 5 + 10) compares both where the legacy app works.

The server comes from SQLASYNC_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); the
databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
SEED = 20240501
# `sqlasync migrate` exits 2 when it could not do its job; 0 and 1 report what it changed and left.
MIGRATE_FAILURE = 2
SERVER_START_TIMEOUT = 60.0
# Long enough for a request queued behind 100 others on a busy 2-core machine; a timeout counts as an error.
REQUEST_TIMEOUT = 20.0


# -- the workload ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None
    expected: int


@dataclass
class SeedData:
    """The rows every database starts with, and the keys the clients pick from."""

    tables: dict[str, tuple[list[str], list[tuple]]]
    users: list[str]
    jobs: list[str]
    completed_jobs: list[str]
    running_jobs: list[str]
    clips: list[str]


def jobs_api_seed(rng: random.Random) -> SeedData:
    """200 users, 4,000 jobs; completed ones have a transcript, segments and clips, every job has logs."""
    base = datetime(2024, 5, 1, 12, 0, 0)
    users = [f"user{number:03d}" for number in range(200)]
    statuses = ["completed"] * 60 + ["running"] * 15 + ["queued"] * 15 + ["failed"] * 10
    jobs, transcripts, segments, clips, logs = [], [], [], [], []
    job_ids, completed, running, clip_ids = [], [], [], []
    for number in range(4000):
        job_id = f"job_{number:016x}"
        user = rng.choice(users)
        status = rng.choice(statuses)
        created = base + timedelta(minutes=number)
        size = rng.randrange(20_000_000, 400_000_000)
        progress = {"completed": 100.0, "running": float(rng.randrange(5, 95))}.get(status, 0.0)
        stage = {"completed": "done", "running": "segmentation", "failed": "transcription"}.get(status, "uploaded")
        jobs.append((job_id, user, f"talk-{number}.mp4", size, f"uploads/{user}/{number}.mp4", "video/mp4", status,
                     stage, progress, "video too short" if status == "failed" else None, created, created,
                     created + timedelta(minutes=30) if status == "completed" else None))
        job_ids.append(job_id)
        for step, message in enumerate(("received", "transcribing", "segmenting", "clipping")[:rng.randrange(1, 5)]):
            logs.append((job_id, stage, "info", f"{message} talk-{number}.mp4", created + timedelta(seconds=step)))
        if status == "running":
            running.append(job_id)
        if status != "completed":
            continue
        completed.append(job_id)
        seconds = size / 1_000_000
        transcripts.append((job_id, "en", f"Transcript of talk-{number}.mp4 ({seconds:.0f}s)", int(seconds * 2),
                            created))
        for index in range(rng.randrange(3, 9)):
            start = index * 30.0
            score = round(rng.random(), 3)
            segments.append((job_id, start, start + 28.0, f"topic {index + 1}", score))
            clip_id = f"{job_id}_clip_{index + 1}"
            clips.append((clip_id, job_id, len(segments), f"talk-{number} #{index + 1}", start, start + 28.0, 28.0,
                          score, f"clips/{job_id}/{index + 1}.mp4", created))
            clip_ids.append(clip_id)
    tables = {
        "jobs": (["job_id", "user_id", "filename", "file_size", "original_s3_key", "content_type", "status",
                  "current_stage", "progress", "error_message", "created_at", "updated_at", "completed_at"], jobs),
        "transcripts": (["job_id", "language", "full_text", "word_count", "created_at"], transcripts),
        # Inserted in order into an empty table: segment n gets id n, which the clips' segment_id relies on.
        "content_segments": (["job_id", "start_time", "end_time", "topic", "score"], segments),
        "clips": (["clip_id", "job_id", "segment_id", "title", "start_time", "end_time", "duration", "score",
                   "s3_key", "created_at"], clips),
        "processing_logs": (["job_id", "stage", "level", "message", "created_at"], logs),
    }
    return SeedData(tables, users, job_ids, completed, running, clip_ids)


# Request kinds and their weights.
JOBS_API_MIX = {
    "job": 18, "list": 12, "results": 10, "job clips": 8, "progress": 8, "clip": 10,
    "top clips": 6, "stats": 4, "logs": 4, "create": 8, "update": 6, "rename": 6,
}


def jobs_api_calls(data: SeedData, rng: random.Random, client: int) -> Iterator[Call]:
    """One client's endless stream: ~80% reads over every kind of endpoint, ~20% writes (new jobs, progress
    updates, clip renames); `client` keeps the new uploads' keys apart."""
    names, weights = zip(*JOBS_API_MIX.items())
    for number in itertools.count():
        kind = rng.choices(names, weights)[0]
        if kind == "job":
            yield Call("GET", f"/jobs/{rng.choice(data.jobs)}", None, 200)
        elif kind == "list":
            yield Call("GET", f"/jobs?user_id={rng.choice(data.users)}&page={rng.randrange(1, 3)}&page_size=10",
                       None, 200)
        elif kind == "results":
            yield Call("GET", f"/jobs/{rng.choice(data.completed_jobs)}/results", None, 200)
        elif kind == "job clips":
            yield Call("GET", f"/jobs/{rng.choice(data.completed_jobs)}/clips", None, 200)
        elif kind == "progress":
            yield Call("GET", f"/jobs/{rng.choice(data.jobs)}/progress", None, 200)
        elif kind == "clip":
            yield Call("GET", f"/clips/{rng.choice(data.clips)}", None, 200)
        elif kind == "top clips":
            yield Call("GET", f"/clips?min_score={rng.choice((0.5, 0.8, 0.95))}&limit=10", None, 200)
        elif kind == "stats":
            yield Call("GET", f"/stats?user_id={rng.choice(data.users)}", None, 200)
        elif kind == "logs":
            yield Call("GET", f"/jobs/{rng.choice(data.jobs)}/logs", None, 200)
        elif kind == "create":
            user = rng.choice(data.users)
            yield Call("POST", "/jobs", {"user_id": user, "filename": f"new-{client}-{number}.mp4",
                                         "file_size": rng.randrange(20_000_000, 400_000_000),
                                         "s3_key": f"uploads/{user}/new-{client}-{number}.mp4"}, 201)
        elif kind == "update":
            yield Call("PATCH", f"/jobs/{rng.choice(data.running_jobs)}", {"progress": rng.randrange(5, 95)}, 200)
        else:
            yield Call("PATCH", f"/clips/{rng.choice(data.clips)}", {"title": f"renamed by {client}"}, 200)


@dataclass(frozen=True)
class Workload:
    seed: Callable[[random.Random], SeedData]
    calls: Callable[[SeedData, random.Random, int], Iterator[Call]]


WORKLOADS = {"jobs_api": Workload(jobs_api_seed, jobs_api_calls)}


# -- databases, copies, servers ----------------------------------------------------------------------
def _connect(url: str):
    import psycopg2

    return psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                            connect_timeout=5)


@contextmanager
def fresh_database(server_url: str, label: str) -> Iterator[str]:
    name = f"bench_load_{label}_{uuid.uuid4().hex[:8]}"
    admin = _connect(server_url)
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


def seed_database(url: str, data: SeedData) -> None:
    """Fill the tables the app created at startup, then ANALYZE so both planners start from the same statistics."""
    from psycopg2.extras import execute_values

    connection = _connect(url)
    try:
        with connection, connection.cursor() as cursor:
            for table, (columns, rows) in data.tables.items():
                execute_values(cursor, f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s", rows, page_size=1000)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    finally:
        connection.close()


def copy_fixture(fixture: str, destination: Path, migrate: bool) -> Path:
    project = destination / fixture
    shutil.copytree(REPO_ROOT / "fixtures" / fixture, project,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.db", "*.db-journal"))
    if migrate:
        run = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--no-cache", "--allow-dirty", str(project)],
                             cwd=project, capture_output=True, text=True)
        if run.returncode == MIGRATE_FAILURE:
            raise SystemExit(f"sqlasync migrate failed on {project}:\n{run.stdout}\n{run.stderr}")
    return project


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(project: Path, database_url: str, log: Path) -> Iterator[tuple[str, int]]:
    """uvicorn serving the copy's `app.main:app` (one worker, no access log, the same settings for both apps);
    yields its base URL and pid."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--no-access-log", "--log-level", "warning",
             # uvicorn closes a keep-alive connection idle for 5 s; under load a client can pick such a one from
             # its pool just as it closes and see a ReadError that says nothing about the app.
             "--timeout-keep-alive", "60"],
            cwd=project, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        # uvicorn accepts connections only once the lifespan (and with it the schema) is done.
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server for {project} exited with {process.returncode}:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"server for {project} did not start in {SERVER_START_TIMEOUT:.0f} s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the load ----------------------------------------------------------------------------------------
@dataclass
class Result:
    label: str
    requests: int
    seconds: float
    errors: int
    latencies_ms: list[float] = field(repr=False)
    peak_connections: int
    server_cpu_ms_per_request: float
    error_samples: list[str]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:  # every request failed
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def summary(self) -> dict:
        figures = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        return {**figures, "rps": round(self.rps, 1), "p50_ms": round(self.percentile(0.50), 2),
                "p90_ms": round(self.percentile(0.90), 2), "p99_ms": round(self.percentile(0.99), 2),
                "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else None}


async def peak_connections(database_url: str, peak: list[int], stop: asyncio.Event) -> None:
    """The most connections the app held open on its database at once, sampled every 50 ms."""
    import asyncpg

    connection = await asyncpg.connect(make_url(database_url).set(drivername="postgresql")
                                       .render_as_string(hide_password=False))
    try:
        while not stop.is_set():
            count = await connection.fetchval("SELECT count(*) FROM pg_stat_activity "
                                              "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            peak[0] = max(peak[0], count)
            await asyncio.sleep(0.05)
    finally:
        await connection.close()


async def drive(label: str, base_url: str, pid: int, database_url: str, workload: Workload, data: SeedData,
                clients: int, warmup: float, duration: float) -> Result:
    """`clients` tasks, each sending its own seeded stream back to back; only responses that arrive in the
    measured window count towards throughput and latency, errors count from the first request on."""
    latencies: list[float] = []
    errors: list[str] = []
    in_flight: dict[int, tuple[Call, float]] = {}
    window = {"start": float("inf"), "end": float("inf")}

    async def client(number: int) -> None:
        # A connection of its own: one AsyncClient shared by 100 tasks spent ~19 ms of this process's CPU per
        # request in its connection pool's bookkeeping, and the load generator, not the app, set the pace.
        async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT,
                                     limits=httpx.Limits(max_connections=1)) as http:
            await send(number, http)

    async def send(number: int, http: httpx.AsyncClient) -> None:
        for call in workload.calls(data, random.Random(SEED + number), number):
            started = time.perf_counter()
            in_flight[number] = (call, started)
            try:
                response = await http.request(call.method, call.path, json=call.body)
                problem = None if response.status_code == call.expected else \
                    f"{call.method} {call.path}: {response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                problem = f"{call.method} {call.path}: {type(exc).__name__}: {exc or 'no response'}"
            finished = time.perf_counter()
            del in_flight[number]
            if problem is not None:
                errors.append(problem)
            elif window["start"] <= started and finished <= window["end"]:
                latencies.append((finished - started) * 1000)

    tasks = [asyncio.create_task(client(number)) for number in range(clients)]
    await asyncio.sleep(warmup)
    stop, peak = asyncio.Event(), [0]
    sampler = asyncio.create_task(peak_connections(database_url, peak, stop))
    cpu_before = cpu_seconds(pid)
    window["start"] = time.perf_counter()
    window["end"] = window["start"] + duration
    await asyncio.sleep(duration)
    cpu = cpu_seconds(pid) - cpu_before
    # A server that stopped answering (a deadlock) leaves requests waiting for the whole window, which a
    # short run would otherwise never count: one unanswered since before the window is an error too.
    errors += [f"{call.method} {call.path}: no response after {time.perf_counter() - started:.1f} s"
               for call, started in in_flight.values() if started < window["start"]]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stop.set()
    await sampler
    return Result(label, len(latencies), duration, len(errors), latencies, peak[0],
                  round(cpu * 1000 / max(1, len(latencies)), 2), errors[:5])


def measure(label: str, project: Path, server_url: str, workload: Workload, data: SeedData, args) -> Result:
    print(f"{label}: seeding and serving {project}", file=sys.stderr)
    with fresh_database(server_url, label) as url, server(project, url, project.parent / f"{label}.log") as (base, pid):
        seed_database(url, data)
        return asyncio.run(drive(label, base, pid, url, workload, data, args.clients, args.warmup, args.duration))


def table(legacy: Result, migrated: Result, args) -> str:
    rows = [("requests/s", lambda r: r.rps, "{:,.0f}"), ("p50 ms", lambda r: r.percentile(0.5), "{:.1f}"),
            ("p90 ms", lambda r: r.percentile(0.9), "{:.1f}"), ("p99 ms", lambda r: r.percentile(0.99), "{:.1f}"),
            ("errors", lambda r: r.errors, "{}"), ("server CPU ms/request", lambda r: r.server_cpu_ms_per_request,
                                                    "{:.2f}"),
            ("peak DB connections", lambda r: r.peak_connections, "{}")]
    lines = [f"{args.fixture}: {args.clients} clients, {args.warmup:g} s warm-up + {args.duration:g} s measured, "
             f"uvicorn 1 worker, PostgreSQL",
             f"{'':24}{'legacy':>12}{'migrated':>12}{'migrated/legacy':>17}"]
    for name, value, spec in rows:
        before, after = value(legacy), value(migrated)
        comparable = before and name != "errors" and not math.isnan(before) and not math.isnan(after)
        ratio = f"{after / before:.2f}x" if comparable else "-"
        lines.append(f"{name:24}{spec.format(before):>12}{spec.format(after):>12}{ratio:>17}")
    for result in (legacy, migrated):
        lines += [f"{result.label} error: {sample}" for sample in result.error_samples]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", choices=sorted(WORKLOADS), default="jobs_api")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per app")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of the same load before measuring")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--postgres-url", default=os.environ.get("SQLASYNC_TEST_POSTGRES_URL", DEFAULT_SERVER_URL))
    args = parser.parse_args(argv)

    workload = WORKLOADS[args.fixture]
    data = workload.seed(random.Random(SEED))
    with tempfile.TemporaryDirectory(prefix="sqlasync-bench-load-") as scratch:
        root = Path(scratch)
        legacy_project = copy_fixture(args.fixture, root / "legacy", migrate=False)
        print(f"migrating a copy of fixtures/{args.fixture} ...", file=sys.stderr)
        migrated_project = copy_fixture(args.fixture, root / "migrated", migrate=True)
        legacy = measure("legacy", legacy_project, args.postgres_url, workload, data, args)
        migrated = measure("migrated", migrated_project, args.postgres_url, workload, data, args)
    if args.json:
        print(json.dumps({"fixture": args.fixture, "clients": args.clients, "warmup": args.warmup,
                          "duration": args.duration, "legacy": legacy.summary(), "migrated": migrated.summary(),
                          "rps_ratio": round(migrated.rps / legacy.rps, 3) if legacy.rps else None}, indent=1))
    else:
        print(table(legacy, migrated, args))
    return 1 if legacy.errors or migrated.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
