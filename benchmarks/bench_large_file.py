"""Time and peak memory of `check` and `migrate` on one large generated legacy module.

Issue 13 measured one 50,000-line file at 43 minutes and 2.4 GB for `check`. This script writes such a
module (realistic legacy functions repeated: Query chains, filters rebuilt under `if`s, session I/O,
helpers calling each other so the async coloring spreads; fixed seed, so every run sees the same text)
and prints, for each size, the wall seconds and the peak resident memory of one `check` and one
`migrate --diff` process (one job, no cache).

`check`, measured 2026-12-07 on a shared 2-core machine (load 2 to 5 from other work; seconds vary by run):

| lines | before (dbd8335) | after (this script's commit) |
|---|---|---|
| 10,000 | 232 s wall, 229 CPU s, 422 MiB | 87 s wall, 83 CPU s, 343 MiB |
| 50,000 | 662 CPU s, 1.6 GiB (last measured before this work) | 382 s wall, 366 CPU s, 1,302 MiB |

What had grown with the square of the file: each query flow numbered every node of the module again (one flow per
call the scan asks about), and every function and annotation read the module's imports for Alembic's. At 50,000
lines the native parser takes some 700 MB while it parses (given back after it, core/heap.py); the peak is later,
in the prediction's session rewrite, whose import removal builds scopes of the rewritten module while the pass
still holds the metadata of the module it rewrote.

    python benchmarks/bench_large_file.py                  # 10,000 and 50,000 lines
    python benchmarks/bench_large_file.py --lines 2000 5000
    python benchmarks/bench_large_file.py --lines 10000 --keep /tmp/large   # keep big.py to profile it
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = '''"""One very large legacy data module."""
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import Session

from app.models import Clip, Job, User
'''
# Each block is one group of related functions; {i} keeps their names unique, {model}/{other} vary the text.
BLOCKS = (
    '''

def get_{name}_{i}(db: Session, item_id: int):
    return db.query({model}).filter({model}.id == item_id).first()


def touch_{name}_{i}(db: Session, item_id: int):
    # keep the timestamp current
    item = get_{name}_{i}(db, item_id)
    if item is None:
        return None
    item.updated_at = datetime.utcnow()
    db.commit()
    db.refresh(item)
    return item
''',
    '''

def search_{name}_{i}(db: Session, owner_id: int | None, status: str | None, limit: int = 50):
    query = db.query({model})
    if owner_id is not None:
        query = query.filter({model}.owner_id == owner_id)
    if status is not None:
        query = query.filter({model}.status == status)
    return query.order_by({model}.id.desc()).limit(limit).all()
''',
    '''

def count_{name}_{i}(db: Session) -> dict:
    rows = db.query({model}.status, func.count({model}.id)).group_by({model}.status).all()
    return {{status: count for status, count in rows}}


def create_{name}_{i}(db: Session, owner: {other}, title: str):
    item = {model}(title=title, owner_id=owner.id)
    db.add(item)
    db.flush()
    db.commit()
    return item
''',
    '''

class {model}Service{i}:
    def __init__(self, db: Session):
        self.db = db

    def active(self):
        return self.db.query({model}).filter_by(active=True).all()

    def remove(self, item_id: int) -> bool:
        item = self.db.query({model}).get(item_id)
        if item is None:
            return False
        self.db.delete(item)
        self.db.commit()
        return True


def report_{name}_{i}(db: Session, item_id: int) -> str:
    service = {model}Service{i}(db)
    names = [item.title for item in service.active()]
    return ", ".join(names) + str(touch_{name}_{j}(db, item_id))
''',
)


def large_module(lines: int, seed: int = 13) -> str:
    """A legacy module of about `lines` lines (never fewer), the same text for the same arguments."""
    rng = random.Random(seed)
    parts, count, i = [HEADER], HEADER.count("\n"), 0
    while count < lines:
        block_index = i % len(BLOCKS)
        models = ["Job", "Clip", "User"]
        model = rng.choice(models)
        # report_* calls a touch_* defined earlier (every block group starts with one).
        text = BLOCKS[block_index].format(name="m", i=i, j=i - block_index, model=model,
                                          other=rng.choice(models))
        parts.append(text)
        count += text.count("\n")
        i += 1
    return "".join(parts)


def measured(command: list[str], cwd: Path, timeout: float) -> tuple[float | None, float, float]:
    """Wall seconds (None past `timeout`), CPU seconds and peak resident MiB of the process and its children.

    CPU seconds are the figure to compare on a shared machine: wall time grows with the other load."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4, not Popen.wait: it gives this one process's usage (ru_maxrss in KiB on Linux), not every child's so far.
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            return None, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({code}): {process.stderr.read().decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--timeout", type=float, default=3600, help="give up on a run after this many seconds")
    parser.add_argument("--keep", type=Path, help="write the module into this folder and keep it")
    parser.add_argument("--only", choices=("check", "migrate"), help="run one command only")
    args = parser.parse_args()
    runs = {
        "check": [sys.executable, "-m", "sqlasync", "check", "big.py", "--no-cache", "-j", "1", "--format", "json",
                  "--exit-zero"],
        "migrate": [sys.executable, "-m", "sqlasync", "migrate", "big.py", "--diff", "--no-cache", "-j", "1"],
    }
    if args.only:
        runs = {args.only: runs[args.only]}
    print(f"{'lines':>8}{'command':>10}{'wall s':>10}{'CPU s':>10}{'peak MiB':>10}", flush=True)
    for lines in args.lines:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="sqlasync-large-"))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pyproject.toml").write_text("[tool.sqlasync]\n")
        text = large_module(lines)
        (folder / "big.py").write_text(text)
        for label, command in runs.items():
            wall, cpu, peak = measured(command, folder, args.timeout)
            shown = f"> {args.timeout:.0f}" if wall is None else f"{wall:.1f}"
            print(f"{text.count(chr(10)):>8}{label:>10}{shown:>10}{cpu:>10.1f}{peak:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
