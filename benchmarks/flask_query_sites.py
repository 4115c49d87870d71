"""Real-world measurement (not run in CI): the legacy Query sites of a project and what `--target sync` does with them.

    python benchmarks/flask_query_sites.py FOLDER [--paths redash ...] [--keep COPY]

FOLDER is a project root (its pins are read from there); `--paths` are the folders inside it to check and
migrate (default: the whole root). The project is copied, `sqlasync check --target sync --select Q` counts the
Query sites (Q101 `session.query(...)`, Q102 `Model.query`) and why each one that is not fixable stays, then
`sqlasync migrate --target sync --select Q` converts the copy. Printed: sites found, fixable, converted, left
(grouped by reason, with identifiers and places blanked so that alike reasons count together), whether every
changed file compiles, and whether a second migrate changes nothing. The runs share a cache in the copy (the
first one starts without one); `--no-cache` makes each compute everything.

Fetch the project at a fixed commit first, e.g. redash at ca79fe988d81cdac9675b412f3dfcab107bc1fbc:
`git -C <mirror> archive ca79fe988d81cdac9675b412f3dfcab107bc1fbc | tar -x -C /tmp/redash`, measured with
`--paths redash` (as pinned), or with `--pin sqlalchemy==1.4.54 --pin flask-sqlalchemy==3.0.5 --compat
redash-sqlalchemy14 --paths redash tests` (a copy on the raised pins, tests migrated with the code); langgenius/dify's `api/` at f21e6e03a3d42821d5aef6a2e3bd63a7370cfa1a (the andycywu/dify mirror
holds upstream's history; `git archive COMMIT api`, that folder alone), measured with FOLDER = its `api`.
"""

from __future__ import annotations

import argparse
import json
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import project_copy

QUERY_CODES = ("Q101", "Q102")
# What differs between two sites left for the same reason: names in backticks, file:line places, numbers.
_SPECIFIC = re.compile(r"`[^`]*`|\b[\w./-]+\.py:\d+\b|\b\d+(\.\d+)*\b")


def _sqlasync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "sqlasync", *args], cwd=root, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"sqlasync {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result


def _sites(root: Path, paths: list[str], cache: list[str]) -> list[dict]:
    report = json.loads(_sqlasync(root, "check", "--target", "sync", "--select", "Q", *cache,
                                  "--format", "json", "--exit-zero", *paths).stdout)
    return [f for f in report["findings"] if f["code"] in QUERY_CODES]


def _kind_of_reason(reason: str | None) -> str:
    return _SPECIFIC.sub("…", reason or "(no reason given)")[:160]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if ".sqlasync_cache" not in p.parts}


def measure(project: Path, paths: list[str], copy: Path, use_cache: bool = True,
            pins: dict[str, str] | None = None, compat: str | None = None, lock_python: str | None = None) -> None:
    # The copy starts without a cache: the first run computes everything, the later ones reuse what the files they
    # did not change still give (a large project's index takes most of each run otherwise).
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".git", "node_modules", "__pycache__",
                                                                 ".sqlasync_cache"))
    prepare(copy, pins or {}, compat, lock_python)
    migrate_in_place(copy, paths, use_cache, label=str(project))


def prepare(copy: Path, pins: dict[str, str], compat: str | None, python: str | None = None) -> None:
    """Raise the copy's pins and apply a compatibility edit set of project_copy.COMPAT, saying what changed."""
    if pins:
        print(f"pins raised to {', '.join(f'{k}=={v}' for k, v in pins.items())}: "
              f"{', '.join(project_copy.raise_pins(copy, pins, python)) or 'nothing matched'}")
    if compat:
        for reason in project_copy.COMPAT[compat](copy):
            print(f"compat edit: {reason}")


def parse_pins(items: list[str]) -> dict[str, str]:
    return dict(item.split("==", 1) for item in items)


def migrate_in_place(copy: Path, paths: list[str], use_cache: bool = True, label: str = "") -> bool:
    """Count, migrate and re-check `copy` itself (project_suite.py runs the suite around this). Prints the figures;
    returns whether every changed file compiles and a second run changes nothing."""
    cache = [] if use_cache else ["--no-cache"]
    started = time.perf_counter()
    found = _sites(copy, paths, cache)
    fixable = [f for f in found if f["fixable"]]
    before = _tree(copy)
    check_time = time.perf_counter() - started
    migrate = _sqlasync(copy, "migrate", "--target", "sync", "--select", "Q", *cache, "--allow-dirty", *paths)
    migrate_time = time.perf_counter() - started - check_time
    after = _tree(copy)
    changed = sorted(path for path in after if before.get(path) != after[path])
    converted = sum(int(count) for count in re.findall(r"fixed\s+(\d+) Q10[12]", migrate.stdout))
    left = _sites(copy, paths, cache)
    broken = []
    for path in changed:
        try:
            py_compile.compile(str(copy / path), doraise=True, cfile=str(Path(tempfile.gettempdir()) / "probe.pyc"))
        except py_compile.PyCompileError as error:
            broken.append(f"{path}: {error.msg.strip().splitlines()[-1]}")
    again = _sqlasync(copy, "migrate", "--target", "sync", "--select", "Q", *cache, "--allow-dirty", "--check",
                      *paths)
    elapsed = time.perf_counter() - started

    share = f"{len(fixable) / len(found):.0%}" if found else "-"
    print(f"project {label or copy} ({', '.join(paths) or '.'}), {elapsed:.0f} s "
          f"(first check {check_time:.0f} s, migrate {migrate_time:.0f} s)")
    print(f"Query sites found      {len(found):5d}   (Q101 {sum(f['code'] == 'Q101' for f in found)}, "
          f"Q102 {sum(f['code'] == 'Q102' for f in found)})")
    print(f"fixable (check)        {len(fixable):5d}   {share}")
    print(f"converted (migrate)    {converted:5d}   in {len(changed)} file(s)")
    print(f"left after migrate     {len(left):5d}")
    for reason, count in Counter(_kind_of_reason(f["reason"]) for f in left).most_common():
        print(f"  {count:4d}  {reason}")
    print(f"changed files that do not compile: {len(broken)}")
    for line in broken:
        print(f"  {line}")
    quiet = "0 file(s) would change." in again.stdout
    print(f"second migrate changes nothing: {'yes' if quiet else 'NO'}")
    return quiet and not broken


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--paths", nargs="*", default=[], help="folders inside the project to check and migrate")
    parser.add_argument("--keep", type=Path, help="where to leave the migrated copy (default: a temporary folder)")
    parser.add_argument("--no-cache", action="store_true", help="every run computes everything anew")
    parser.add_argument("--pin", action="append", default=[], metavar="NAME==VERSION",
                        help="raise this pin in the copy (a uv.lock is locked again if uv is there, other "
                        "lock files are removed)")
    parser.add_argument("--lock-python", help="the interpreter `uv lock` resolves for (e.g. 3.13)")
    parser.add_argument("--compat", choices=sorted(project_copy.COMPAT),
                        help="apply these edits of the project's own code to the copy (benchmarks/project_copy.py)")
    args = parser.parse_args(argv)
    if not args.project.is_dir():
        print(f"skipped: {args.project} is not there (fetch the project at a fixed commit first)")
        return
    options = {"use_cache": not args.no_cache, "pins": parse_pins(args.pin), "compat": args.compat,
               "lock_python": args.lock_python}
    if args.keep is not None:
        measure(args.project.resolve(), args.paths, args.keep.resolve(), **options)
        return
    with tempfile.TemporaryDirectory(prefix="flask_query_sites_") as scratch:
        measure(args.project.resolve(), args.paths, Path(scratch) / args.project.name, **options)


if __name__ == "__main__":
    main()
