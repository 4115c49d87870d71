"""Real-world measurement (not run in CI): a project's own test suite before and after
`sqlasync migrate --target sync --select Q`.

    python benchmarks/project_suite.py FOLDER --python VENV/bin/python --paths redash \
        [--env REDASH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/redash_sqlasync] [--keep COPY] [-- PYTEST ARGS]

FOLDER is the project as fetched at a fixed commit (e.g. getredash/redash at
ca79fe988d81cdac9675b412f3dfcab107bc1fbc, `git -C MIRROR archive COMMIT | tar -x -C FOLDER`); `--python` is an
interpreter that has the project's own dependencies installed (redash: Python 3.13, `uv sync --frozen --group
dev` with UV_PROJECT_ENVIRONMENT pointing at that environment). The project is copied, its suite run, the copy
migrated, the suite run again (unless the migration changed nothing); printed: the outcome counts of each run,
the files the migration changed, and every test whose outcome differs between the two runs. Without FOLDER or
the interpreter the script says so and stops.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path


def outcomes(junit: Path) -> dict[str, str]:
    """Each test of a JUnit report (pytest's) by `classname::name`, with passed / failed / error / skipped."""
    found = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        verdict = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                verdict = {"failure": "failed"}.get(child.tag, child.tag)
                break
        found[f"{case.get('classname')}::{case.get('name')}"] = verdict
    return found


def run_suite(root: Path, python: str, env: dict[str, str], pytest_args: list[str], report: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *pytest_args],
                   cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    return (outcomes(report) if report.exists() else {}), elapsed


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if ".sqlasync_cache" not in p.parts}


def measure(project: Path, copy: Path, python: str, paths: list[str], env: dict[str, str],
            pytest_args: list[str]) -> None:
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".git", "node_modules", "__pycache__"))
    before, before_time = run_suite(copy, python, env, pytest_args, copy.parent / "before.junit.xml")
    tree = snapshot(copy)
    started = time.perf_counter()
    migrate = subprocess.run([sys.executable, "-m", "sqlasync", "migrate", "--target", "sync", "--select", "Q",
                              "--allow-dirty", *paths], cwd=copy, capture_output=True, text=True)
    migrate_time = time.perf_counter() - started
    changed = sorted(path for path, content in snapshot(copy).items() if tree.get(path) != content)
    if not changed:
        print(f"project {project}")
        print(f"suite before migrate: {dict(Counter(before.values()))} in {before_time:.0f} s")
        print(f"migrate --target sync --select Q {' '.join(paths)}: exit {migrate.returncode} in {migrate_time:.0f} s, "
              "no file changed: the suite after it runs the same code, so it is not run again")
        return
    after, after_time = run_suite(copy, python, env, pytest_args, copy.parent / "after.junit.xml")

    print(f"project {project}")
    print(f"suite before migrate: {dict(Counter(before.values()))} in {before_time:.0f} s")
    print(f"migrate --target sync --select Q {' '.join(paths)}: exit {migrate.returncode} in {migrate_time:.0f} s, "
          f"{len(changed)} file(s) changed")
    for path in changed:
        print(f"  {path}")
    print(f"suite after migrate:  {dict(Counter(after.values()))} in {after_time:.0f} s")
    differing = sorted(test for test in before.keys() | after.keys() if before.get(test) != after.get(test))
    print(f"tests whose outcome differs: {len(differing)}")
    for test in differing:
        print(f"  {test}: {before.get(test, 'absent')} -> {after.get(test, 'absent')}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--python", required=True, help="an interpreter with the project's dependencies")
    parser.add_argument("--paths", nargs="*", default=[], help="folders inside the project to migrate")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for the suite (database and Redis URLs)")
    parser.add_argument("--keep", type=Path, help="where to leave the migrated copy (default: a temporary folder)")
    argv = list(sys.argv[1:] if argv is None else argv)
    # What follows `--` is pytest's, options included (argparse would read them as this script's).
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if not args.project.is_dir() or shutil.which(args.python) is None:
        print(f"skipped: {args.project} or {args.python} is not there (fetch the project and install its "
              "dependencies first)")
        return
    env = {**os.environ, **dict(item.split("=", 1) for item in args.env)}
    pytest_args = pytest_args or ["tests"]
    if args.keep is not None:
        measure(args.project.resolve(), args.keep.resolve(), args.python, args.paths, env, pytest_args)
        return
    with tempfile.TemporaryDirectory(prefix="project_suite_") as scratch:
        measure(args.project.resolve(), Path(scratch) / args.project.name, args.python, args.paths, env, pytest_args)


if __name__ == "__main__":
    main()
