"""Throughput of `sqlasync check` on a generated repository, on a real one, and on a pathological file.

On a generated tree, prints files/s and lines/s for cold (no cache) and warm (cache) runs, with 1 and
2 jobs, with the prefilter disabled, and `ruff check` on the same tree when ruff is installed, as a reference.

    python benchmarks/bench_check.py                 # ~5,000 files / ~500k lines
    python benchmarks/bench_check.py --files 500     # quicker
    python benchmarks/bench_check.py --repo ../dispatch --jobs 1 2 --rounds 3
    python benchmarks/bench_check.py --chain 7 8 9 10 11 12

--repo checks a copy of a real repository (a public one at a fixed commit, say): cold (no cache
folder), warm (nothing changed) and with one file edited (a comment appended to its largest file),
best of --rounds, wall and CPU seconds (the check and its workers, user + system), lines/s and lines
per CPU-second, beside plain `ast.parse` of the same files in the same run. --json prints the same
figures as one JSON object. To compare implementations on the same files in the same conditions,
give each older one as --variant NAME=PYTHONPATH (PYTHONPATH being what `compare_findings.py package
--sqlasync-rev REV --output DIR` prints): every round runs each of them in turn, so that a machine
busy with other work weighs on all alike. --keep-reports DIR keeps each cold run's JSON report, from which
`compare_findings.py record PATH --report REPORT` records the findings of that implementation: the
before/after differential on the real repository at no extra run. For example, Netflix/dispatch at dd2837e8:

    git -C dispatch.git archive dd2837e82a0bf5565b1b4b4b91ea30b7262d4061 | tar -x -C /tmp/dispatch
    python benchmarks/compare_findings.py package --sqlasync-rev main --output /tmp/main-pkg
    python benchmarks/bench_check.py --repo /tmp/dispatch --jobs 2 --rounds 3 \
        --variant main=/tmp/main-pkg/packages --keep-reports /tmp/reports [--json]

--chain checks, for each N, one file whose query variable is rebound from itself N times
(`query = query.filter(...)` under N `if`s, as search endpoints build their filters): the time must
grow with N, not with N!. Seconds are wall time and CPU time of the `check` process.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

LEGACY_FUNCTION = '''

def get_{name}_{i}(db: Session, item_id: int):
    item = db.query({model}).filter({model}.id == item_id).first()
    if item is None:
        return None
    item.touched = True
    db.commit()
    db.refresh(item)
    return item


def list_{name}_{i}(db: Session, skip: int = 0, limit: int = 50):
    return db.query({model}).order_by({model}.id).offset(skip).limit(limit).all()
'''
CLEAN_FUNCTION = '''

def compute_{name}_{i}(values: list[int], factor: float = 1.5) -> dict[str, float]:
    """Summarise a list of values."""
    total = 0.0
    for position, value in enumerate(values):
        if value % 2:
            total += value * factor
        else:
            total -= position / (value + 1)
    result = {{"total": total, "count": float(len(values))}}
    result["mean"] = total / max(1, len(values))
    return result


class {cls}{i}:
    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[str] = []

    def add(self, item: str) -> None:
        self.items.append(item.strip().lower())
'''
HEADER_LEGACY = "from sqlalchemy.orm import Session\n\nfrom app.models import Job, Clip, User\n"
HEADER_CLEAN = "from __future__ import annotations\n\nimport math\nimport os\n"


def generate(root: Path, files: int, legacy_share: float, seed: int = 7) -> int:
    rng = random.Random(seed)
    lines = 0
    for index in range(files):
        package = root / f"pkg{index % 50:02}"
        package.mkdir(parents=True, exist_ok=True)
        legacy = rng.random() < legacy_share
        parts = [HEADER_LEGACY if legacy else HEADER_CLEAN]
        for i in range(4):
            if legacy and i % 2 == 0:
                parts.append(LEGACY_FUNCTION.format(name=f"m{index}", i=i, model=rng.choice(["Job", "Clip", "User"])))
            else:
                parts.append(CLEAN_FUNCTION.format(name=f"m{index}", i=i, cls=f"Helper{index}_"))
        text = "".join(parts)
        (package / f"module_{index:05}.py").write_text(text)
        lines += text.count("\n")
    (root / "pyproject.toml").write_text("[tool.sqlasync]\n")
    return lines


CHAIN_HEADER = "from sqlalchemy.orm import Session\n\nfrom app.models import Job\n\n\n"
CHAIN_STEPS = ("query = query.filter(Job.field_{i} == terms[{i}])", "query = query.join(Job.part_{i})",
               "query = apply_filter(query, terms[{i}])")


def chain_source(steps: int) -> str:
    """A search function rebinding `query` from itself `steps` times, one optional filter at a time."""
    lines = ["def apply_filter(query, term):", "    return query.filter(term)", "", "",
             "def search(db: Session, terms: list):", "    query = db.query(Job)"]
    for i in range(steps):
        lines += [f"    if terms[{i}] is not None:", "        " + CHAIN_STEPS[i % len(CHAIN_STEPS)].format(i=i)]
    lines += ["    return query.order_by(Job.id).all()", ""]
    return CHAIN_HEADER + "\n".join(lines)


def run_chains(steps: list[int], timeout: float) -> None:
    print(f"{'steps':>6}{'wall s':>10}{'CPU s':>10}")
    for count in steps:
        with tempfile.TemporaryDirectory(prefix="sqlasync-chain-") as folder:
            root = Path(folder)
            (root / "pyproject.toml").write_text("[tool.sqlasync]\n")
            (root / "search.py").write_text(chain_source(count))
            command = [sys.executable, "-m", "sqlasync", "check", ".", "--no-cache", "-j", "1", "--exit-zero"]
            wall, cpu = timed_with_cpu(command, root, timeout)
        if wall is None:
            print(f"{count:>6}{'> ' + format(timeout, '.0f'):>10}{'':>10}")
        else:
            print(f"{count:>6}{wall:>10.2f}{cpu:>10.2f}")


def timed_with_cpu(command: list[str], cwd: Path, timeout: float | None = None,
                   env: dict[str, str] | None = None) -> tuple[float | None, float]:
    """Wall seconds (None past `timeout`) and CPU seconds (user + system, the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, 0.0
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass
class Best:
    """The best of several timings of one run."""

    wall: float = float("inf")
    cpu: float = float("inf")

    def add(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = min(self.wall, wall), min(self.cpu, cpu)


def run_repository(source: Path, jobs: list[int], rounds: int, variants: dict[str, str | None],
                   as_json: bool, reports: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="sqlasync-repo-") as folder:
        root = Path(folder) / source.name
        shutil.copytree(source, root, symlinks=True, ignore=shutil.ignore_patterns(".git", ".sqlasync_cache"))
        from sqlasync.config import load_config
        from sqlasync.discovery import discover

        config = load_config([root])
        files = [file.path for file in discover([root], config)]
        sources = [path.read_bytes() for path in files]
        lines = sum(text.count(b"\n") for text in sources)
        edited = max(files, key=lambda path: path.stat().st_size)
        if not as_json:
            print(f"{source}: {len(files)} files, {lines:,} lines; the edited file is {edited.relative_to(root)}")
            print(f"{'run':<34}{'wall s':>9}{'CPU s':>9}{'lines/s':>11}{'lines/CPU-s':>13}")
        parse = Best()
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            for text in sources:
                try:
                    ast.parse(text)
                except (SyntaxError, ValueError):
                    pass
            parse.add(time.perf_counter() - wall, time.process_time() - cpu)
        rows = {"ast.parse, same files": parse}
        if not as_json:
            _row("ast.parse, same files", parse, lines)
        check = [sys.executable, "-m", "sqlasync", "check", ".", "--format", "json", "--exit-zero"]
        original = edited.read_bytes()
        for count in jobs:
            runs = {(name, kind): Best() for name in variants for kind in ("cold", "warm", "one file edited")}
            # Interleaved: every round runs each variant once, so that a busy machine weighs on all alike.
            for round_number in range(rounds):
                for name, pythonpath in variants.items():
                    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
                    shutil.rmtree(root / config.cache_dir, ignore_errors=True)
                    # The cold run's report, kept, is the findings differential's input (compare_findings --report).
                    keep = [] if reports is None else [
                        "--output", str(reports / f"{name.replace(' ', '-')}-j{count}-round{round_number + 1}.json")]
                    runs[name, "cold"].add(*timed_with_cpu([*check, "-j", str(count), *keep], root, env=env))
                    runs[name, "warm"].add(*timed_with_cpu([*check, "-j", str(count)], root, env=env))
                    edited.write_bytes(original + b"\n# edited by bench_check.py\n")
                    try:
                        runs[name, "one file edited"].add(*timed_with_cpu([*check, "-j", str(count)], root, env=env))
                    finally:
                        edited.write_bytes(original)
            for (name, kind), best in runs.items():
                label = f"{kind}, -j {count}" + (f" ({name})" if len(variants) > 1 else "")
                rows[label] = best
                if not as_json:
                    _row(label, best, lines)
        shutil.rmtree(root / config.cache_dir, ignore_errors=True)
    if as_json:
        print(json.dumps({"repository": str(source), "files": len(files), "lines": lines, "rounds": rounds,
                          "edited": str(edited.relative_to(root)),
                          "runs": {label: {"wall_s": round(best.wall, 3), "cpu_s": round(best.cpu, 3),
                                           "lines_per_s": round(lines / best.wall),
                                           "lines_per_cpu_s": round(lines / best.cpu)}
                                   for label, best in rows.items()}}, indent=2))


def _row(label: str, best: Best, lines: int) -> None:
    print(f"{label:<34}{best.wall:>9.2f}{best.cpu:>9.2f}{lines / best.wall:>11,.0f}{lines / best.cpu:>13,.0f}",
          flush=True)


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--legacy-share", type=float, default=0.2, help="fraction of files with legacy code")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--chain", type=int, nargs="+", metavar="N",
                        help="instead: check one file rebinding a query N times, for each N")
    parser.add_argument("--timeout", type=float, default=300, help="--chain: give up on a run after this long")
    parser.add_argument("--repo", type=Path, help="instead: cold, warm and one-file-edited runs on a copy of REPO")
    parser.add_argument("--jobs", type=int, nargs="+", default=[2], help="--repo: -j values to run with")
    parser.add_argument("--rounds", type=int, default=1, help="--repo: best of this many rounds")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=PYTHONPATH",
                        help="--repo: also time the sqlasync found on PYTHONPATH (repeatable), interleaved")
    parser.add_argument("--json", action="store_true", help="--repo: print the figures as JSON")
    parser.add_argument("--keep-reports", type=Path, metavar="DIR",
                        help="--repo: write each cold run's JSON report into DIR (for compare_findings.py --report)")
    args = parser.parse_args()
    if args.chain:
        run_chains(args.chain, args.timeout)
        return
    if args.repo:
        variants: dict[str, str | None] = {"this tree": None}
        for variant in args.variant:
            name, _, pythonpath = variant.partition("=")
            variants[name] = str(Path(pythonpath).resolve())
        if args.keep_reports is not None:
            args.keep_reports.mkdir(parents=True, exist_ok=True)
        run_repository(args.repo.resolve(), args.jobs, args.rounds, variants, args.json,
                       args.keep_reports.resolve() if args.keep_reports is not None else None)
        return

    root = args.keep or Path(tempfile.mkdtemp(prefix="sqlasync-bench-"))
    try:
        lines = generate(root, args.files, args.legacy_share)
        print(f"tree: {args.files} files, {lines} lines, {args.legacy_share:.0%} with legacy code ({root})")
        check = [sys.executable, "-m", "sqlasync", "check", ".", "--format", "json", "--exit-zero"]
        runs = [
            ("cold, -j 1", [*check, "--no-cache", "-j", "1"], False),
            ("cold, -j 2", [*check, "--no-cache", "-j", "2"], False),
            ("warm, -j 2", [*check, "-j", "2"], True),
            ("cold, -j 2, no prefilter", [*check, "--no-cache", "--no-prefilter", "-j", "2"], False),
        ]
        if shutil.which("ruff"):
            runs.append(("ruff check (reference)", ["ruff", "check", "--no-cache", "--exit-zero", "--quiet", "."], False))
        print(f"{'run':<28}{'seconds':>10}{'files/s':>12}{'lines/s':>12}")
        for label, command, needs_warm_cache in runs:
            if needs_warm_cache:
                timed(command, root)
            elapsed = timed(command, root)
            print(f"{label:<28}{elapsed:>10.2f}{args.files / elapsed:>12,.0f}{lines / elapsed:>12,.0f}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
