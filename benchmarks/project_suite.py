"""Real-world measurement (not run in CI): a project's own test suite before and after
`sqlasync migrate --target sync --select Q`.

    python benchmarks/project_suite.py --preset redash [--stack fsa3|fsa2] [--venv DIR] [--keep COPY]
    python benchmarks/project_suite.py FOLDER --python VENV/bin/python --paths redash tests \
        [--pin NAME==VERSION ...] [--compat NAME] [--env NAME=VALUE ...] [--database URL] [--keep COPY] [-- PYTEST ARGS]

FOLDER is the project as fetched at a fixed commit (`git -C MIRROR archive COMMIT | tar -x -C FOLDER`), or
`--mirror MIRROR --commit COMMIT` extracts it; `--python` is an interpreter that has the project's own
dependencies installed, or `--venv DIR` makes one with `uv sync --frozen` (UV_PROJECT_ENVIRONMENT=DIR) from the
copy's lock when DIR has none. The project is copied, its pins raised (`--pin`; a uv.lock is locked again with
`uv lock`, which moves only what the raised pins need) and the compatibility edits of `--compat` applied
(benchmarks/project_copy.py: what the raised pins need in the project's own code, the same for both runs), its
suite run, the copy migrated in place with the figures of flask_query_sites.py (sites found, converted, left by
reason, compiles, second run), the suite run again in the same interpreter, on the same services (`--database`
is created before and dropped after). Printed: the outcome counts of each run, the files the migration changed,
and every test whose outcome differs.

`--preset redash` is getredash/redash at ca79fe988d81cdac9675b412f3dfcab107bc1fbc from the mirror `fetch` leaves
in /work/.mirror, pins raised to SQLAlchemy 1.4.54 with Flask-SQLAlchemy 3.0.5 (`--stack fsa3`) or 2.5.1
(`--stack fsa2`), Python 3.13 (`uv sync --frozen --group dev`; `--uv-python PATH` when uv cannot find it), PostgreSQL on 127.0.0.1 (database rw_redash_suite) and
Redis on localhost (the suite picks databases 5 and 6 itself), `migrate --paths redash tests`, pytest
`tests --continue-on-collection-errors`. Without the mirror, the folder or the interpreter the script says so and
stops.
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

import flask_query_sites
import project_copy


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


def migrate_and_compare(copy: Path, python: str, paths: list[str], env: dict[str, str], pytest_args: list[str],
                        label: str) -> None:
    reports = copy.parent
    print(f"project {label}", flush=True)
    before, before_time = run_suite(copy, python, env, pytest_args, reports / "before.junit.xml")
    print(f"suite before migrate: {dict(Counter(before.values()))} in {before_time:.0f} s", flush=True)
    tree = snapshot(copy)
    started = time.perf_counter()
    flask_query_sites.migrate_in_place(copy, paths, label=label)
    migrate_time = time.perf_counter() - started
    changed = sorted(path for path, content in snapshot(copy).items() if tree.get(path) != content)
    print(f"migrate --target sync --select Q {' '.join(paths)} (with the counts): {migrate_time:.0f} s, "
          f"{len(changed)} file(s) changed", flush=True)
    if not changed:
        print("no file changed: the suite after it runs the same code, so it is not run again")
        return
    for path in changed:
        print(f"  {path}")
    after, after_time = run_suite(copy, python, env, pytest_args, reports / "after.junit.xml")
    print(f"suite after migrate:  {dict(Counter(after.values()))} in {after_time:.0f} s")
    differing = sorted(test for test in before.keys() | after.keys() if before.get(test) != after.get(test))
    print(f"tests whose outcome differs: {len(differing)}")
    for test in differing:
        print(f"  {test}: {before.get(test, 'absent')} -> {after.get(test, 'absent')}")


def make_venv(copy: Path, venv: Path, python_version: str | None, uv_args: list[str]) -> str | None:
    """The project's interpreter: venv/bin/python, made by `uv sync` in the copy when it is not there yet."""
    interpreter = venv / "bin" / "python"
    if interpreter.exists():
        return str(interpreter)
    if shutil.which("uv") is None:
        print(f"skipped: {interpreter} is not there and there is no `uv` to make it")
        return None
    command = ["uv", "sync", "--frozen", *uv_args] + (["--python", python_version] if python_version else [])
    result = subprocess.run(command, cwd=copy, env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}, check=False,
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"skipped: {' '.join(command)} failed:\n{result.stderr[-2000:]}")
        return None
    return str(interpreter)


def _psql(server: str, statement: str) -> None:
    subprocess.run(["psql", server, "-q", "-c", statement], check=True, capture_output=True)


PRESETS = {
    "redash": {
        "mirror": "/work/.mirror/getredash+redash/repo",
        "commit": "ca79fe988d81cdac9675b412f3dfcab107bc1fbc",
        "paths": ["redash", "tests"],
        "pins": {"sqlalchemy": "1.4.54", "flask-sqlalchemy": "3.0.5"},
        "compat": "redash-sqlalchemy14",
        "database": "postgresql://postgres@127.0.0.1:5432/rw_redash_suite",
        "env": {"REDASH_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/rw_redash_suite",
                "REDASH_COOKIE_SECRET": "sqlasync-suite", "REDASH_SECRET_KEY": "sqlasync-suite"},
        "python_version": "3.13",
        "uv_args": ["--group", "dev"],
        "pytest_args": ["tests", "--continue-on-collection-errors"],
        "stacks": {"fsa3": {"flask-sqlalchemy": "3.0.5"}, "fsa2": {"flask-sqlalchemy": "2.5.1"}},
    },
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, nargs="?", help="the project folder (or --mirror/--commit)")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a project with everything below set")
    parser.add_argument("--stack", help="a preset's pin set (redash: fsa3, the default, or fsa2)")
    parser.add_argument("--mirror", type=Path, help="a bare git mirror to extract the project from")
    parser.add_argument("--commit", help="the commit to extract from --mirror")
    parser.add_argument("--python", help="an interpreter with the project's dependencies")
    parser.add_argument("--venv", type=Path, help="an environment for the project, made with `uv sync` if missing")
    parser.add_argument("--uv-python", help="the interpreter `uv lock`/`uv sync` use (a preset names a version)")
    parser.add_argument("--paths", nargs="*", help="folders inside the project to migrate")
    parser.add_argument("--pin", action="append", default=[], metavar="NAME==VERSION",
                        help="raise this pin in the copy (uv.lock locked again)")
    parser.add_argument("--compat", choices=sorted(project_copy.COMPAT),
                        help="edits of the project's own code the raised pins need (both runs get them)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for the suite (database and Redis URLs)")
    parser.add_argument("--database", help="a PostgreSQL database URL to create before the runs and drop after")
    parser.add_argument("--keep", type=Path, help="where to leave the migrated copy (default: a temporary folder)")
    argv = list(sys.argv[1:] if argv is None else argv)
    # What follows `--` is pytest's, options included (argparse would read them as this script's).
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    preset = PRESETS.get(args.preset, {})
    mirror = args.mirror or (Path(preset["mirror"]) if preset else None)
    commit = args.commit or preset.get("commit")
    paths = args.paths if args.paths is not None else preset.get("paths", [])
    pins = {**preset.get("pins", {}), **preset.get("stacks", {}).get(args.stack, {}),
            **flask_query_sites.parse_pins(args.pin)}
    if args.stack and args.stack not in preset.get("stacks", {}):
        parser.error(f"--stack {args.stack}: the preset has {sorted(preset.get('stacks', {})) or 'none'}")
    compat = args.compat or preset.get("compat")
    database = args.database or preset.get("database")
    env = {**os.environ, **preset.get("env", {}), **dict(item.split("=", 1) for item in args.env)}
    pytest_args = pytest_args or preset.get("pytest_args") or ["tests"]
    if args.project is None and (mirror is None or commit is None):
        parser.error("give the project folder, --mirror and --commit, or --preset")
    if args.project is not None and not args.project.is_dir():
        print(f"skipped: {args.project} is not there (fetch the project at a fixed commit first)")
        return
    if args.project is None and not mirror.is_dir():
        print(f"skipped: the mirror {mirror} is not there (fetch it first: the `fetch` tool, github:OWNER/NAME)")
        return
    if args.python is None and args.venv is None:
        parser.error("give --python or --venv")
    if args.python is not None and shutil.which(args.python) is None:
        print(f"skipped: {args.python} is not there (install the project's dependencies first)")
        return

    with tempfile.TemporaryDirectory(prefix="project_suite_") as scratch:
        copy = (args.keep or Path(scratch) / "project").resolve()
        if args.project is not None:
            shutil.copytree(args.project.resolve(), copy,
                            ignore=shutil.ignore_patterns(".git", "node_modules", "__pycache__", ".sqlasync_cache"))
            label = str(args.project)
        else:
            project_copy.extract(mirror, commit, copy)
            label = f"{mirror} at {commit}"
        uv_python = args.uv_python or preset.get("python_version")
        flask_query_sites.prepare(copy, pins, compat, uv_python)
        python = args.python or make_venv(copy, args.venv.resolve(), uv_python,
                                          preset.get("uv_args", ["--group", "dev"]))
        if python is None:
            return
        server = database.rsplit("/", 1)[0] + "/postgres" if database else None
        if database:
            _psql(server, f"DROP DATABASE IF EXISTS {database.rsplit('/', 1)[1]}")
            _psql(server, f"CREATE DATABASE {database.rsplit('/', 1)[1]}")
        try:
            migrate_and_compare(copy, python, paths, env, pytest_args, label)
        finally:
            if database:
                _psql(server, f"DROP DATABASE IF EXISTS {database.rsplit('/', 1)[1]}")


if __name__ == "__main__":
    main()
