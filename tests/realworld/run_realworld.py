#!/usr/bin/env python3
"""Real-world harness: run public projects' own test suites before and after `sqlasync migrate`.

Not a pytest module (pytest collects only test_*.py); run it by hand:

    python tests/realworld/run_realworld.py [--project NAME ...] [--output report.json]
    python tests/realworld/run_realworld.py --project mealie --cuts [--limit N | --sample N --seed S]

For every project of projects.toml (beside this file) it
  1. extracts the pinned commit of the project's bare mirror into <work_root>/<name>/legacy,
  2. builds (once, cached by the hash of the dependency files) a virtualenv with the project's own
     dependencies and `pip install -e /work/main`,
  3. runs the project's own pytest suite (JUnit XML) against a fresh database,
  4. copies the tree to <work_root>/<name>/migrated, commits it, runs
     `python -m sqlasync migrate --no-cache .` and runs the same suite on another fresh database,
  5. prints a table and writes a JSON report.
See README.md for the details and the measured figures.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import fnmatch
import hashlib
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SQLASYNC_ROOT = HERE.parent.parent          # /work/main
DEFAULT_CONFIG = HERE / "projects.toml"

# Variables of the caller's environment that would point a suite somewhere else.
SCRUBBED_ENV = (
    "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
    "PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_CONSTRAINT", "PIP_REQUIREMENT",
    "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "SQLASYNC_TEST_POSTGRES_URL",
)
SCRUBBED_PREFIXES = ("POSTGRES_", "PG", "DB_", "DATABASE_")


# ----------------------------------------------------------------------------------------------- utils

def log(msg: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {msg}", file=sys.stderr, flush=True)


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUBBED_ENV and not k.startswith(SCRUBBED_PREFIXES)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("LC_ALL", "C.UTF-8")
    env.setdefault("LANG", "C.UTF-8")
    return env


def pip_env() -> dict[str, str]:
    """pip talks to PyPI only: no machine-local config, find-links, extra indexes or constraints."""
    env = base_env()
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.setdefault("PIP_DEFAULT_TIMEOUT", "120")
    return env


def run(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float | None = None, log_path: Path | None = None, append: bool = False) -> tuple[int, str]:
    """Run argv (own process group, killed whole on timeout); returns (exit code, combined output).

    The output streams into log_path as it comes (a temporary file when there is none).  A timeout
    gives exit code 124.
    """
    started = time.monotonic()
    header = f"$ (cd {cwd or os.getcwd()} && {shlex.join(argv)})\n"
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(log_path, "a" if append else "w", encoding="utf-8")
    else:
        fh = tempfile.TemporaryFile("w+", encoding="utf-8")
    with fh:
        fh.write(header)
        fh.flush()
        start_at = fh.tell()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            rc = 124
        fh.flush()
        if log_path is not None:
            with open(log_path, "rb") as rd:
                rd.seek(start_at)
                text = rd.read().decode("utf-8", "replace")
        else:
            fh.seek(start_at)
            text = fh.read()
        fh.seek(0, os.SEEK_END)
        if rc == 124:
            text += f"\n[harness] TIMEOUT after {timeout}s: process group killed\n"
            fh.write(f"\n[harness] TIMEOUT after {timeout}s: process group killed\n")
        fh.write(f"\n[harness] exit {rc} in {time.monotonic() - started:.1f}s\n")
    return rc, text


def tail(text: str, n: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-n:])


def render(value, ctx: dict[str, str]):
    if isinstance(value, str):
        return value.format(**ctx)
    if isinstance(value, list):
        return [render(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: render(v, ctx) for k, v in value.items()}
    return value


def norm_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def req_name(line: str) -> str | None:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return norm_name(m.group(1)) if m and not line.lstrip().startswith(("#", "-")) else None


def sha256_of(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(hashlib.sha256(c).digest())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------- config

def load_config(path: Path) -> tuple[dict, list[dict]]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    defaults = data.get("defaults", {})
    projects = data.get("project", [])
    names = [p["name"] for p in projects]
    if len(names) != len(set(names)):
        raise SystemExit(f"{path}: duplicate project names")
    return defaults, projects


# --------------------------------------------------------------------------------------------- extract

def mirror_ok(project: dict) -> str | None:
    """None when the mirror holds the pinned commit, else why not."""
    mirror = Path(project["mirror"])
    if not mirror.exists():
        return f"mirror {mirror} is missing"
    rc, out = run(["git", "-C", str(mirror), "cat-file", "-e", project["commit"] + "^{commit}"])
    if rc != 0:
        return f"mirror {mirror} lacks commit {project['commit']}"
    return None


def missing_blobs(project: dict) -> list[str]:
    """Paths of the pinned tree whose blobs the mirror does not store (they cannot be archived)."""
    mirror = project["mirror"]
    listing = subprocess.run(["git", "-C", mirror, "ls-tree", "-r", "-z", project["commit"]],
                             capture_output=True, check=True).stdout.decode("utf-8", "replace")
    entries = []
    for item in listing.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        _mode, kind, oid = meta.split()
        if kind == "blob":
            entries.append((oid, path))
    if not entries:
        return []
    check = subprocess.run(["git", "-C", mirror, "cat-file", "--batch-check=%(objectname) %(objecttype)"],
                           input="".join(f"{oid}\n" for oid, _ in entries).encode(),
                           capture_output=True, check=True).stdout.decode().splitlines()
    missing = [path for (oid, path), line in zip(entries, check) if line.endswith("missing")]
    return sorted(set(missing) | set(project.get("missing_blobs", [])))


def extract(project: dict, dest: Path, excluded: list[str]) -> list[dict]:
    """git archive the pinned commit into dest (replaced), then apply the configured patches."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    pathspec = ["."] + [f":(exclude,literal){p}" for p in excluded]
    archive = subprocess.Popen(["git", "-C", project["mirror"], "archive", project["commit"], "--", *pathspec],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True)
    archive.stdout.close()
    err = archive.stderr.read().decode("utf-8", "replace")
    archive.wait()
    if archive.returncode != 0 or untar.returncode != 0:
        raise RuntimeError(f"extracting {project['name']} failed: {err.strip()} {untar.stderr.decode().strip()}")
    return apply_patches(dest, project.get("patches", []))


def apply_patches(tree: Path, patches: list[dict]) -> list[dict]:
    """Exact one-occurrence text replacements, each with its reason (recorded in the report)."""
    applied = []
    for patch in patches:
        target = tree / patch["file"]
        text = target.read_text(encoding="utf-8")
        count = text.count(patch["old"])
        if count != 1:
            raise RuntimeError(f"patch for {patch['file']} expects one occurrence of {patch['old']!r}, found {count}")
        target.write_text(text.replace(patch["old"], patch["new"]), encoding="utf-8")
        applied.append({"file": patch["file"], "reason": patch.get("reason", "")})
    return applied


def git_commit_tree(tree: Path, log_path: Path) -> None:
    git = ["git", "-c", "user.name=realworld-harness", "-c", "user.email=harness@localhost",
           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
    for argv in (git + ["init", "-q", "."], git + ["add", "-A", "."],
                 git + ["commit", "-q", "--no-verify", "-m", "legacy tree (pinned commit, harness patches)"]):
        rc, out = run(argv, cwd=tree, env=base_env(), timeout=600, log_path=log_path, append=True)
        if rc != 0:
            raise RuntimeError(f"{shlex.join(argv)} failed in {tree}: {tail(out, 5)}")


# ------------------------------------------------------------------------------------------------ venv

def tool_python(defaults: dict, venv_root: Path) -> Path:
    """A small virtualenv with poetry + poetry-plugin-export (to export poetry.lock)."""
    tool = venv_root / "_tools" / "poetry"
    ready = tool / ".rw-ready"
    if ready.exists():
        return tool / "bin" / "python"
    if tool.exists():
        shutil.rmtree(tool)
    tool.parent.mkdir(parents=True, exist_ok=True)
    logp = venv_root / "_tools" / "poetry-build.log"
    python = defaults.get("python", "python3.11")
    for argv in ([python, "-m", "venv", str(tool)],
                 [str(tool / "bin" / "python"), "-m", "pip", "install", "-q", "-U", "pip"],
                 [str(tool / "bin" / "python"), "-m", "pip", "install", "-q",
                  *defaults.get("poetry_tool", ["poetry", "poetry-plugin-export"])]):
        rc, out = run(argv, env=pip_env(), timeout=defaults.get("pip_timeout", 3600), log_path=logp, append=True)
        if rc != 0:
            raise RuntimeError(f"building the poetry tool venv failed ({logp}): {tail(out, 8)}")
    ready.write_text("ok\n")
    return tool / "bin" / "python"


def venv_key(project: dict, defaults: dict, tree: Path) -> tuple[str, dict]:
    deps = project.get("deps", {})
    chunks = [json.dumps({"deps": deps, "python": defaults.get("python"),
                          "harness": defaults.get("harness_packages", []),
                          "sqlasync_constraints": defaults.get("sqlasync_constraints", []),
                          "poetry_tool": defaults.get("poetry_tool")}, sort_keys=True).encode()]
    files = {}
    for rel in deps.get("files", []):
        p = tree / rel
        data = p.read_bytes() if p.exists() else b"<absent>"
        files[rel] = hashlib.sha256(data).hexdigest()
        chunks.append(rel.encode() + b"\0" + data)
    # sqlasync's own requirements (not the whole pyproject.toml, which changes for other reasons).
    with open(SQLASYNC_ROOT / "pyproject.toml", "rb") as fh:
        own = tomllib.load(fh).get("project", {}).get("dependencies", [])
    chunks.append(json.dumps(sorted(own)).encode())
    return sha256_of(*chunks)[:16], files


def project_requirements(project: dict, defaults: dict, tree: Path, venv_root: Path, logp: Path) -> list[str]:
    """The project's own dependency list (requirement lines), overrides applied."""
    deps = project.get("deps", {})
    kind = deps.get("kind")
    lines: list[str] = []
    if kind == "poetry":
        tool = tool_python(defaults, venv_root)
        out_file = logp.parent / f"{project['name']}-poetry-export.txt"
        argv = [str(tool), "-m", "poetry", "export", "-f", "requirements.txt", "--without-hashes",
                "-o", str(out_file)]
        if deps.get("groups"):
            argv += ["--with", ",".join(deps["groups"])]
        for extra in deps.get("extras", []):
            argv += ["-E", extra]
        env = pip_env()
        env["POETRY_VIRTUALENVS_CREATE"] = "false"
        rc, out = run(argv, cwd=tree, env=env, timeout=600, log_path=logp, append=True)
        if rc != 0:
            raise RuntimeError(f"poetry export failed: {tail(out, 8)}")
        lines = [ln for ln in out_file.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    elif kind == "pyproject":
        with open(tree / "pyproject.toml", "rb") as fh:
            meta = tomllib.load(fh)["project"]
        lines = list(meta.get("dependencies", []))
        for extra in deps.get("extras_of_project", []):
            lines += meta.get("optional-dependencies", {}).get(extra, [])
    elif kind == "requirements":
        for rel in deps.get("requirements", []):
            lines += [ln for ln in (tree / rel).read_text().splitlines()
                      if ln.strip() and not ln.lstrip().startswith(("#", "-e", "."))]
    else:
        raise RuntimeError(f"unknown deps.kind {kind!r}")
    overrides = {norm_name(k): v for k, v in deps.get("overrides", {}).items()}
    result, seen_override = [], set()
    for line in lines:
        name = req_name(line)
        if name in overrides:
            if name not in seen_override:
                result.append(overrides[name])
                seen_override.add(name)
            continue
        result.append(line)
    result += [v for k, v in overrides.items() if k not in seen_override]
    return result


def ensure_venv(project: dict, defaults: dict, tree: Path, venv_root: Path, rebuild: bool) -> dict:
    """Build or reuse the project's virtualenv. Returns its description (path, key, pip moves)."""
    key, file_hashes = venv_key(project, defaults, tree)
    venv = venv_root / f"{project['name']}-{key}"
    info_file = venv / "rw-venv.json"
    logp = venv_root / f"{project['name']}-{key}.build.log"
    lock = _lock(venv_root / f"{project['name']}-{key}.lock")
    try:
        if rebuild and venv.exists():
            shutil.rmtree(venv)
            info_file.unlink(missing_ok=True)
        # A build by a harness that predates the lock file: wait while its log still grows.
        while venv.exists() and not info_file.exists() and logp.exists() and time.time() - logp.stat().st_mtime < 600:
            time.sleep(15)
        return _ensure_venv_locked(project, defaults, tree, venv, info_file, logp, key, file_hashes)
    finally:
        lock.close()


def _lock(path: Path):
    """An exclusive lock file (another harness process building the same venv waits for it)."""
    import fcntl
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "w")
    fcntl.flock(fh, fcntl.LOCK_EX)
    return fh


def _ensure_venv_locked(project, defaults, tree, venv, info_file, logp, key, file_hashes) -> dict:
    if info_file.exists():
        info = json.loads(info_file.read_text())
        info["cached"] = True
        return info
    for header in project.get("deps", {}).get("system_headers", []):
        if not Path(header).exists():
            pkgs = " ".join(project["deps"].get("system_packages", []))
            raise RuntimeError(f"{header} is missing: the dependencies build from source; "
                               f"install the system packages first: apt-get install -y {pkgs}")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    venv_root = venv.parent
    if logp.exists():
        logp.unlink()
    log(f"{project['name']}: building virtualenv {venv} (log {logp})")
    started = time.monotonic()
    deps = project.get("deps", {})
    python = defaults.get("python", "python3.11")
    vpy = str(venv / "bin" / "python")
    ptimeout = defaults.get("pip_timeout", 3600)
    penv = pip_env()
    penv.update({k: str(v) for k, v in deps.get("install_env", {}).items()})

    def step(argv, what):
        rc, out = run(argv, env=penv, timeout=ptimeout, log_path=logp, append=True)
        if rc != 0:
            raise RuntimeError(f"{project['name']}: {what} failed (exit {rc}, log {logp}):\n{tail(out, 12)}")
        return out

    try:
        step([python, "-m", "venv", str(venv)], "venv")
        step([vpy, "-m", "pip", "install", "-q", "-U", "pip"], "pip upgrade")
        reqs = project_requirements(project, defaults, tree, venv_root, logp)
        reqs += deps.get("extra", []) + defaults.get("harness_packages", [])
        req_file = venv / "rw-requirements.txt"
        req_file.write_text("\n".join(reqs) + "\n")
        argv = [vpy, "-m", "pip", "install", "-r", str(req_file)]
        if deps.get("resolve_before"):
            argv += ["--uploaded-prior-to", deps["resolve_before"]]
        step(argv, "installing the project's dependencies")
        if deps.get("install_project"):
            src = venv / "project-src"
            shutil.copytree(tree, src, symlinks=True)
            spec = str(src)
            argv = [vpy, "-m", "pip", "install", "--no-deps", "-e", spec]
            step(argv, "installing the project itself (editable, --no-deps)")
        before = step([vpy, "-m", "pip", "freeze", "--all"], "pip freeze")
        constraints = venv / "rw-sqlasync-constraints.txt"
        constraints.write_text("\n".join(defaults.get("sqlasync_constraints", [])) + "\n")
        step([vpy, "-m", "pip", "install", "-c", str(constraints), "-e", str(SQLASYNC_ROOT)],
             "pip install -e /work/main")
        after = step([vpy, "-m", "pip", "freeze", "--all"], "pip freeze")
        step([vpy, "-m", "sqlasync", "--version"], "python -m sqlasync --version")
    except Exception:
        log(f"{project['name']}: virtualenv build failed; see {logp}")
        raise

    def versions(freeze: str) -> dict[str, str]:
        out = {}
        for line in freeze.splitlines():
            if "==" in line and not line.startswith("#"):
                name, ver = line.split("==", 1)
                out[norm_name(name)] = ver.strip()
        return out

    b, a = versions(before), versions(after)
    moved = {n: f"{b.get(n, '-')} -> {a.get(n, '-')}" for n in sorted(set(a) | set(b)) if a.get(n) != b.get(n)}
    info = {
        "path": str(venv), "python": vpy, "key": key, "dependency_files": file_hashes,
        "moved_by_sqlasync": moved, "built_in_s": round(time.monotonic() - started, 1),
        "packages": a, "cached": False,
    }
    (venv / "rw-freeze.txt").write_text(after)
    info_file.write_text(json.dumps(info, indent=2))
    log(f"{project['name']}: virtualenv ready in {info['built_in_s']}s; sqlasync moved {moved or 'nothing'}")
    return info


# -------------------------------------------------------------------------------------------- postgres

class Postgres:
    def __init__(self, conf: dict):
        self.host = conf.get("host", "127.0.0.1")
        self.port = int(conf.get("port", 5432))
        self.user = conf.get("user", "postgres")
        self.admin_db = conf.get("admin_db", "postgres")

    def url(self, db: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{db}"

    def _psql(self, *sql: str) -> tuple[int, str]:
        if not shutil.which("psql"):
            raise RuntimeError("psql is not on PATH (needed to create/drop the per-run databases)")
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
                "-U", self.user, "-d", self.admin_db]
        for s in sql:
            argv += ["-c", s]
        return run(argv, env=base_env(), timeout=120)

    @staticmethod
    def _guard(db: str) -> None:
        if not re.fullmatch(r"rw_[a-z0-9_]+", db):
            raise RuntimeError(f"refusing to touch database {db!r}: harness databases are named rw_*")

    def available(self) -> str | None:
        try:
            rc, out = self._psql("SELECT 1")
        except RuntimeError as exc:
            return str(exc)
        return None if rc == 0 else f"PostgreSQL at {self.host}:{self.port} not reachable: {tail(out, 3)}"

    def recreate_argv(self, db: str) -> list[str]:
        """psql dropping and creating `db`, for a command line of its own (`migrate --verify`'s CMD)."""
        self._guard(db)
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port), "-U", self.user,
                "-d", self.admin_db, "-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', "-c", f'CREATE DATABASE "{db}"']

    def recreate(self, db: str) -> None:
        self._guard(db)
        rc, out = self._psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
        if rc != 0:
            raise RuntimeError(f"creating database {db} failed: {tail(out, 5)}")

    def drop(self, db: str) -> None:
        self._guard(db)
        rc, out = self._psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if rc != 0:
            log(f"warning: dropping {db} failed: {tail(out, 3)}")


# ------------------------------------------------------------------------------------------------ junit

FRAME_RES = (
    re.compile(r'File "(?P<file>[^"]+\.py)", line (?P<line>\d+), in (?P<func>\S+)'),  # --tb=native
    re.compile(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+): (?:in (?P<func>\S+))?", re.M),  # long / short
)


def app_frames(text: str, tree: Path, app_paths: list[str]) -> list[str]:
    """file:line (relative to the tree) of the traceback frames inside the application package."""
    found = []
    for rx in FRAME_RES:
        for m in rx.finditer(text or ""):
            f = m.group("file")
            p = Path(f)
            if p.is_absolute():
                try:
                    f = str(p.relative_to(tree))
                except ValueError:
                    continue
            f = f.removeprefix("./")
            if any(f == a or f.startswith(a.rstrip("/") + "/") for a in app_paths):
                found.append((m.start(), f"{f}:{m.group('line')}"))
    found.sort()
    out = []
    for _, loc in found:
        if loc not in out:
            out.append(loc)
    return out


def first_error_line(message: str | None, text: str | None) -> str:
    """The first meaningful line of a failure: the JUnit message, else the first `E ` line."""
    msg = (message or "").strip()
    if msg:
        first = msg.splitlines()[0].strip()
        if first:
            return first[:400]
    for line in (text or "").splitlines():
        if line.startswith("E "):
            return line[1:].strip()[:400]
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip()[:400] if lines else ""


def exception_line(text: str | None) -> str:
    """The raised exception as pytest shows it (`E   Type: message`), when there is one."""
    best = ""
    for line in (text or "").splitlines():
        s = line[1:].strip() if line.startswith("E ") else line.strip()
        if re.match(r"^[\w.]+(Error|Exception|Warning|Exit|Interrupt|Greenlet|Timeout)\b.*:", s) or \
                re.match(r"^[\w.]+\.(exc|errors?)\.\w+:", s):
            best = best or s[:400]
    return best


def parse_junit(path: Path, tree: Path, app_paths: list[str]) -> dict[str, dict]:
    results: dict[str, dict] = {}
    root = ET.parse(path).getroot()
    for tc in root.iter("testcase"):
        name = tc.get("name", "")
        classname = tc.get("classname", "")
        file = tc.get("file")
        if file:
            module = file[:-3].replace("/", ".") if file.endswith(".py") else file
            rest = classname[len(module):].lstrip(".") if classname.startswith(module) else ""
            nodeid = "::".join([file] + ([rest.replace(".", "::")] if rest else []) + [name])
        else:
            nodeid = f"{classname}::{name}" if classname else name
        outcome, message, text, teardown = "passed", None, None, None
        kinds = [c.tag for c in tc]
        for child in tc:
            if child.tag == "error" and (child.get("message") or "").startswith("failed on teardown"):
                # pytest counts the call's outcome AND an error for the teardown: so do we.
                teardown = teardown or first_error_line(child.get("message"), child.text)
                kinds.remove("error")
                continue
            if child.tag in ("failure", "error") and message is None:
                message, text = child.get("message"), child.text
        if "failure" in kinds:
            outcome = "failed"
        elif "error" in kinds:
            outcome = "errored"
        elif "skipped" in kinds:
            outcome = "skipped"
            sk = tc.find("skipped")
            message = sk.get("message") if sk is not None else None
        entry = {"outcome": outcome, "time": float(tc.get("time") or 0)}
        if outcome in ("failed", "errored"):
            entry["first_line"] = first_error_line(message, text)
            entry["exception"] = exception_line(text) or entry["first_line"]
            entry["app_frames"] = app_frames(text or "", tree, app_paths)[-6:]
        elif outcome == "skipped" and message:
            entry["reason"] = message.splitlines()[0][:200]
        if teardown:
            entry["teardown_error"] = teardown
        prev = results.get(nodeid)
        if prev is not None and prev["outcome"] != "passed":
            continue      # duplicate id (e.g. call failed + teardown error): keep the first failure
        results[nodeid] = entry
    return results


def crash_line(out: str, rc: int) -> str:
    """Why a pytest run produced no test results, in one line."""
    lines = out.splitlines()
    where = next((ln.strip() for ln in lines if ln.startswith(("ImportError while loading conftest",
                                                                 "ERROR: ", "INTERNALERROR"))), "")
    err = next((ln[1:].strip() for ln in reversed(lines) if ln.startswith("E ")), "")
    frame = ""
    for i, ln in enumerate(lines):
        if ln.startswith("E ") and i > 0:
            frame = next((x.strip() for x in reversed(lines[:i]) if re.match(r"^\S+\.py:\d+", x.strip())), "")
            break
    parts = [p for p in (err, f"at {frame.rstrip(':')}" if frame else "", f"({where})" if where else "") if p]
    return " ".join(parts)[:400] or f"pytest exit {rc}: {tail(out, 1)}"


def counts(results: dict[str, dict]) -> dict[str, int]:
    """Tests by outcome; `errored` counts setup errors, `teardown_errors` the extra errors pytest
    reports for a teardown (so passed + failed + errored + teardown_errors matches pytest's summary)."""
    c = Counter(r["outcome"] for r in results.values())
    return {k: c.get(k, 0) for k in ("passed", "failed", "errored", "skipped")} | {
        "teardown_errors": sum(1 for r in results.values() if r.get("teardown_error")), "total": len(results)}


# ------------------------------------------------------------------------------------------------ suite

def stage_db_name(project: dict, stage: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", f"rw_{project['name']}_{stage}".lower())


def suite_environment(project: dict, venv: dict, tree: Path, stage: str,
                      pg: Postgres | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """The stage's database name, the template values and the environment its suite runs in."""
    db_name = stage_db_name(project, stage) if project.get("database") == "postgres" else ""
    ctx = {"python": venv["python"], "tree": str(tree), "stage": stage, "db_name": db_name,
           "db_url": pg.url(db_name) if pg and db_name else "",
           "pg_host": pg.host if pg else "", "pg_port": str(pg.port) if pg else "", "pg_user": pg.user if pg else ""}
    env = base_env()
    venv_bin = str(Path(venv["python"]).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(Path(venv_bin).parent)
    env["PYTHONPATH"] = os.pathsep.join(str(tree / p) for p in project.get("pythonpath", ["."]))
    env.update({k: str(v) for k, v in render(project.get("env", {}), ctx).items()})
    return db_name, ctx, env


def pytest_argv(project: dict, defaults: dict, ctx: dict[str, str], extra_args: list[str],
                report_args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """pytest with the harness's timeouts, the deselected tests and the project's arguments."""
    argv = [ctx["python"], "-m", "pytest", "-p", "no:cacheprovider", *report_args]
    if "pytest-timeout" in " ".join(defaults.get("harness_packages", [])):
        argv += [f"--timeout={defaults.get('test_timeout', 300)}", "--timeout-method=signal"]
    for d in project.get("test", {}).get("deselect", []):
        argv += ["--deselect", d["id"]]
    return argv + render(project.get("test", {}).get("args", []), ctx) + list(extra_args)


def run_suite(project: dict, defaults: dict, venv: dict, tree: Path, stage: str, logs: Path,
              pg: Postgres | None, extra_args: list[str]) -> dict:
    """Run the project's setup commands and pytest in `tree`; returns counts + per-test results."""
    started = time.monotonic()
    db_name, ctx, env = suite_environment(project, venv, tree, stage, pg)
    junit = logs / f"{stage}.junit.xml"
    out_log = logs / f"{stage}.pytest.log"
    for p in (junit, out_log):
        if p.exists():
            p.unlink()
    result: dict = {"stage": stage, "tree": str(tree), "database": db_name or project.get("database")}
    try:
        if db_name:
            pg.recreate(db_name)
        # The code under test must come from the tree, not from site-packages.
        probe = []
        for app in project.get("app_paths", []):
            mod = Path(app).name
            rc, out = run([venv["python"], "-c", f"import {mod}, sys; print({mod}.__file__)"],
                          cwd=tree, env=env, timeout=300)
            where = out.strip().splitlines()[-1] if out.strip() else ""
            probe.append(where)
            if rc != 0 or not where.startswith(str(tree)):
                result["import_probe_error"] = f"`import {mod}` -> {tail(out, 6)}"
        result["imports_from"] = probe
        for i, setup in enumerate(project.get("setup", [])):
            argv = render(setup["argv"], ctx)
            rc, out = run(argv, cwd=tree, env=env, timeout=defaults.get("setup_timeout", 600),
                          log_path=logs / f"{stage}.setup{i}.log")
            result.setdefault("setup", []).append({"argv": argv, "exit_code": rc,
                                                   **({"tail": tail(out, 8)} if rc else {})})
        argv = pytest_argv(project, defaults, ctx, extra_args,
                           [f"--junitxml={junit}", "-o", "junit_family=xunit1", "-o", "junit_logging=no"])
        result["command"] = shlex.join(argv)
        log(f"{project['name']}/{stage}: pytest (log {out_log})")
        rc, out = run(argv, cwd=tree, env=env, timeout=defaults.get("suite_timeout", 3600), log_path=out_log)
        result["pytest_exit_code"] = rc
        result["summary_line"] = next((ln.strip("= ") for ln in reversed(out.splitlines())
                                       if re.search(r"\d+ (passed|failed|error|skipped|deselected)", ln)), "")
        results = parse_junit(junit, tree, project.get("app_paths", [])) if junit.exists() else {}
        if not results:
            # Nothing ran: a conftest that does not import, a usage error, a timeout of the whole run.
            result["crash"] = crash_line(out, rc)
            result["output_tail"] = tail(out, 25)
        result["counts"] = counts(results)
        result["results"] = results
    finally:
        if db_name:
            pg.drop(db_name)
    result["seconds"] = round(time.monotonic() - started, 1)
    c = result.get("counts", {})
    log(f"{project['name']}/{stage}: {c.get('passed', 0)} passed, {c.get('failed', 0)} failed, "
        f"{c.get('errored', 0)} errored, {c.get('skipped', 0)} skipped in {result['seconds']}s "
        f"(pytest exit {result.get('pytest_exit_code')})")
    return result


# ---------------------------------------------------------------------------------------------- migrate

def parse_migrate_output(text: str) -> dict:
    out: dict = {"files_changed": None, "fixed": {}, "sites_fixed": 0, "sites_left": 0, "left_by_code": {},
                 "errors": []}
    left_codes: Counter = Counter()
    for line in text.splitlines():
        if m := re.match(r"^(\d+) file\(s\) (?:changed|would change)\.", line):
            out["files_changed"] = int(m.group(1))
        elif m := re.match(r"^\s+fixed\s+(\d+) ([A-Z]\d+) ", line):
            out["fixed"][m.group(2)] = int(m.group(1))
        elif m := re.match(r"^(\d+) (?:site|finding)\(s\) left", line):
            out["sites_left"] = int(m.group(1))
        elif m := re.match(r"^\s+\S+:\d+:\d+: ([A-Z]\d+) ", line):
            left_codes[m.group(1)] += 1
        elif line.startswith(("error:", "sqlasync: error:")):
            out["errors"].append(line[:400])
            if m := re.search(r"the result would break (\d+) use", line):
                out["refused_uses"] = int(m.group(1))
        elif m := re.match(r"^    (\S+?):(\d+):(\d+): (.+)$", line):
            # a use the refusal names (`sqlasync: error: refusing to migrate: ...`)
            out.setdefault("refused_at", []).append(f"{m.group(1)}:{m.group(2)}: {m.group(4)}"[:300])
        elif m := re.match(r"^\s+(\S+) is part of this run \((\d+) use", line):
            out.setdefault("refused_files", {})[m.group(1)] = int(m.group(2))
    out["sites_fixed"] = sum(out["fixed"].values())
    out["left_by_code"] = dict(sorted(left_codes.items()))
    return out


SQLASYNC_PYTHON: str | None = None     # --sqlasync-rev: the python of a venv holding that revision


def sqlasync_at_rev(rev: str, defaults: dict, root: Path) -> tuple[str, str]:
    """A virtualenv with sqlasync as committed at `rev` of /work/main (git archive: read-only).

    Returns (python, full sha).  Only `migrate` runs from it; the project venvs keep the live
    editable /work/main (whose sqlasync.compat the migrated code may import)."""
    rc, sha = run(["git", "--no-optional-locks", "-C", str(SQLASYNC_ROOT), "rev-parse", "--verify", rev + "^{commit}"],
                  env=base_env(), timeout=60)
    if rc != 0:
        raise SystemExit(f"--sqlasync-rev {rev}: not a commit of {SQLASYNC_ROOT}")
    sha = sha.strip()
    base = root / "sqlasync" / sha[:12]
    lock = _lock(root / "sqlasync" / f"{sha[:12]}.lock")
    try:
        return _sqlasync_at_sha(sha, base, defaults)
    finally:
        lock.close()


def _sqlasync_at_sha(sha: str, base: Path, defaults: dict) -> tuple[str, str]:
    py = base / "venv" / "bin" / "python"
    if (base / ".rw-ready").exists():
        return str(py), sha
    if base.exists():
        shutil.rmtree(base)
    (base / "src").mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(SQLASYNC_ROOT), "archive", sha], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(base / "src")], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise SystemExit(f"git archive {sha} failed")
    logp = base / "build.log"
    for argv in ([defaults.get("python", "python3.11"), "-m", "venv", str(base / "venv")],
                 [str(py), "-m", "pip", "install", "-q", "-U", "pip"],
                 [str(py), "-m", "pip", "install", "-q", str(base / "src")]):
        rc, out = run(argv, env=pip_env(), timeout=defaults.get("pip_timeout", 3600), log_path=logp, append=True)
        if rc != 0:
            raise SystemExit(f"building sqlasync {sha[:12]} failed ({logp}): {tail(out, 8)}")
    (base / ".rw-ready").write_text(sha + "\n")
    return str(py), sha


def run_migrate(tree: Path, venv: dict, targets: list[str], logs: Path, name: str, timeout: float) -> dict:
    git_commit_tree(tree, logs / f"{name}.git.log")
    argv = [SQLASYNC_PYTHON or venv["python"], "-m", "sqlasync", "migrate", "--no-cache", *targets]
    env = base_env()
    env["PATH"] = str(Path(venv["python"]).parent) + os.pathsep + env.get("PATH", "")
    started = time.monotonic()
    rc, out = run(argv, cwd=tree, env=env, timeout=timeout, log_path=logs / f"{name}.migrate.log")
    info = {"command": shlex.join(["python", "-m", "sqlasync", "migrate", "--no-cache", *targets]),
            "exit_code": rc, "seconds": round(time.monotonic() - started, 1)} | parse_migrate_output(out)
    _, numstat = run(["git", "diff", "--numstat"], cwd=tree, env=base_env(), timeout=300)
    files = []
    for line in numstat.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            files.append({"file": parts[2], "added": parts[0], "removed": parts[1]})
    info["git_changed_files"] = len(files)
    info["changed"] = files
    _, diff = run(["git", "diff"], cwd=tree, env=base_env(), timeout=300)
    (logs / f"{name}.migrate.diff").write_text(diff)
    if rc not in (0, 1):
        info["output_tail"] = tail(out, 20)
    return info


# ------------------------------------------------------------------------------------------ plan + verify

def verify_command(project: dict, defaults: dict, ctx: dict[str, str], db_name: str, pg: Postgres | None,
                   extra_args: list[str]) -> str:
    """CMD for `migrate --verify`: what the suite stage does, as one shell line run in the tree (a fresh
    database, the setup commands, pytest), so that every batch is judged on a database of its own."""
    steps = [pg.recreate_argv(db_name)] if db_name and pg else []
    steps += [render(setup["argv"], ctx) for setup in project.get("setup", [])]
    steps.append(pytest_argv(project, defaults, ctx, extra_args))
    return " && ".join(shlex.join(step) for step in steps)


def timed(argv: list[str], **kwargs) -> tuple[int, str, dict]:
    """run() with its wall time and the CPU time of the process and everything it waited for."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    rc, out = run(argv, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return rc, out, {"wall_s": round(time.monotonic() - started, 1),
                     "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1)}


def run_plan(project: dict, defaults: dict, venv: dict, tree: Path, logs: Path, pg: Postgres | None,
             extra_args: list[str]) -> dict:
    """`sqlasync plan` (table and JSON) on the committed tree, then `sqlasync migrate --verify CMD --commit`
    with CMD the project's own suite; the commits it made, one per kept batch."""
    git_commit_tree(tree, logs / "plan.git.log")
    db_name, ctx, env = suite_environment(project, venv, tree, "plan", pg)
    sqlasync = [SQLASYNC_PYTHON or venv["python"], "-m", "sqlasync"]
    timeout = defaults.get("migrate_timeout", 3600)
    info: dict = {}
    rc, out, cost = timed([*sqlasync, "plan"], cwd=tree, env=env, timeout=timeout, log_path=logs / "plan.table.log")
    info["table"] = {"exit_code": rc, **cost, "output": out}
    log(f"{project['name']}: sqlasync plan exit {rc} ({cost['wall_s']} s wall, {cost['cpu_s']} CPU-s)")
    json_path = logs / "plan.json"
    rc, out, cost = timed(["sh", "-c", f'{shlex.join([*sqlasync, "plan", "--format", "json"])} > {shlex.quote(str(json_path))}'],
                          cwd=tree, env=env, timeout=timeout, log_path=logs / "plan.json.log")
    try:
        info["plan"] = json.loads(json_path.read_text())
    except (OSError, ValueError) as exc:
        info["plan"] = {"error": f"{exc}: {tail(out, 10)}"}
    info["plan_json"] = {"exit_code": rc, **cost}
    command = verify_command(project, defaults, ctx, db_name, pg, extra_args)
    log(f"{project['name']}: sqlasync migrate --verify CMD --commit (log {logs / 'plan.verify.log'})")
    try:
        rc, out, cost = timed([*sqlasync, "migrate", "--verify", command, "--commit"], cwd=tree, env=env,
                              timeout=defaults.get("suite_timeout", 3600) * 8, log_path=logs / "plan.verify.log")
    finally:
        if db_name and pg:
            pg.drop(db_name)
    info["verify"] = {"command": command, "exit_code": rc, **cost,
                      "lines": [line for line in out.splitlines() if line and not line.startswith(("$ ", "[harness]"))]}
    log(f"{project['name']}: verify exit {rc} ({cost['wall_s']} s wall, {cost['cpu_s']} CPU-s with CMD's runs)")
    _, commits = run(["git", "log", "--reverse", "--format=%H %s", "HEAD"], cwd=tree, env=base_env(), timeout=120)
    info["commits"] = []
    logged = [line.partition(" ") for line in commits.splitlines()]
    for sha, _, subject in [entry for entry in logged if re.fullmatch(r"[0-9a-f]{40}", entry[0])][1:]:
        _, numstat = run(["git", "show", "--numstat", "--format=", sha], cwd=tree, env=base_env(), timeout=120)
        files = [row.split("\t") for row in numstat.splitlines() if row.count("\t") == 2]
        info["commits"].append({"sha": sha, "subject": subject,
                                "files": [{"file": f, "added": a, "removed": r} for a, r, f in files]})
    return info


# ------------------------------------------------------------------------------------------------ compare

def normalize_error(line: str) -> str:
    s = re.sub(r"0x[0-9a-fA-F]+", "0x…", line)
    s = re.sub(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>", s)
    s = re.sub(r"'[^'\s]{60,}'", "'…'", s)          # long literals (paths, tokens), not prose
    s = re.sub(r"\(Background on this error at: [^)]*\)", "", s)
    s = re.sub(r"/tmp/realworld/[^\s:'\"]*/(legacy|migrated|plan|cuts/[^/]+)/", "", s)
    return s.strip()[:240]


def compare(legacy: dict, other: dict) -> dict:
    lres, ores = legacy.get("results", {}), other.get("results", {})
    passed = [t for t, r in lres.items() if r["outcome"] == "passed"]
    still = [t for t in passed if ores.get(t, {}).get("outcome") == "passed"]
    regressions = []
    for t in passed:
        r = ores.get(t)
        if r is None:
            why = other.get("crash") or "not run (not collected in this run)"
            regressions.append({"id": t, "outcome": "missing", "first_line": why, "exception": why})
        elif r["outcome"] != "passed":
            regressions.append({"id": t, "outcome": r["outcome"],
                                "first_line": r.get("first_line") or r.get("reason", ""),
                                "exception": r.get("exception", ""), "app_frames": r.get("app_frames", [])})
    newly = [t for t, r in ores.items() if r["outcome"] == "passed" and lres.get(t, {}).get("outcome") != "passed"]
    # Collection errors of the other run (junit testcases without a file that errored).
    return {
        "legacy_passed": len(passed), "still_passing": len(still),
        "retained_pct": round(100.0 * len(still) / len(passed), 1) if passed else None,
        "regressions": regressions, "newly_passing": newly,
    }


def group_failures(regressions: list[dict], top: int = 25) -> list[dict]:
    groups: dict[str, dict] = {}
    for r in regressions:
        key = normalize_error(r.get("exception") or r.get("first_line") or r["outcome"])
        g = groups.setdefault(key, {"error": key, "count": 0, "examples": [], "frames": Counter()})
        g["count"] += 1
        if len(g["examples"]) < 3:
            g["examples"].append(r["id"])
        for f in r.get("app_frames", [])[-2:]:
            g["frames"][f] += 1
    out = sorted(groups.values(), key=lambda g: -g["count"])[:top]
    for g in out:
        g["frames"] = [f"{f} ({n})" for f, n in g["frames"].most_common(5)]
    return out


# -------------------------------------------------------------------------------------------- pipeline

def project_dirs(project: dict, work_root: Path) -> dict[str, Path]:
    base = work_root / project["name"]
    return {"base": base, "legacy": base / "legacy", "migrated": base / "migrated", "plan": base / "plan",
            "cuts": base / "cuts", "logs": base / "logs"}


def process_project(project: dict, defaults: dict, args, pg: Postgres | None) -> dict:
    name = project["name"]
    report: dict = {"project": name, "mirror": project["mirror"], "commit": project["commit"],
                    "branch": project.get("branch")}
    why = mirror_ok(project)
    if why:
        log(f"{name}: SKIPPED: {why}")
        return report | {"status": "skipped", "reason": why}
    if project.get("database") == "postgres":
        if pg is None:
            return report | {"status": "skipped", "reason": "no PostgreSQL configured"}
        why = pg.available()
        if why:
            log(f"{name}: SKIPPED: {why}")
            return report | {"status": "skipped", "reason": why}
    work_root = Path(args.work_root or defaults.get("work_root", "/tmp/realworld"))
    venv_root = Path(args.venv_root or defaults.get("venv_root", work_root / "venvs"))
    dirs = project_dirs(project, work_root)
    dirs["logs"].mkdir(parents=True, exist_ok=True)
    excluded = missing_blobs(project)
    report["excluded_missing_blobs"] = excluded
    log(f"{name}: extracting {project['commit'][:12]} into {dirs['legacy']}"
        + (f" (without missing blobs: {', '.join(excluded)})" if excluded else ""))
    report["patches"] = extract(project, dirs["legacy"], excluded)
    report["deselected"] = project.get("test", {}).get("deselect", [])
    # The migrated tree is a copy of the pristine legacy tree (before any test wrote into it).
    stages = args.stages
    for stage in ("migrated", "plan"):
        if stage in stages:
            if dirs[stage].exists():
                shutil.rmtree(dirs[stage])
            shutil.copytree(dirs["legacy"], dirs[stage], symlinks=True)
            # What a user does by hand when migrate refuses and names a cause it cannot change itself.
            report["manual_steps"] = apply_patches(dirs[stage], project.get("manual_steps", []))
    try:
        venv = ensure_venv(project, defaults, dirs["legacy"], venv_root, args.rebuild_venv)
    except Exception as exc:  # noqa: BLE001 - reported, next project goes on
        log(f"{name}: FAILED building the virtualenv: {exc}")
        return report | {"status": "venv-failed", "reason": str(exc)}
    report["venv"] = {k: venv[k] for k in ("path", "key", "dependency_files", "moved_by_sqlasync", "cached")}
    extra = args.pytest_arg or []
    if "legacy" in stages:
        report["legacy"] = run_suite(project, defaults, venv, dirs["legacy"], "legacy", dirs["logs"], pg, extra)
    if "migrated" in stages:
        log(f"{name}: sqlasync migrate --no-cache . in {dirs['migrated']}")
        report["migrate"] = run_migrate(dirs["migrated"], venv, ["."], dirs["logs"], "migrated",
                                        defaults.get("migrate_timeout", 1800))
        m = report["migrate"]
        log(f"{name}: migrate exit {m['exit_code']}: {m['files_changed']} file(s) changed, "
            f"{m['sites_fixed']} site(s) fixed, {m['sites_left']} left ({m['seconds']}s)")
        if m["git_changed_files"] == 0:
            # Nothing was written (nothing to do, or migrate refused): the tree is the legacy tree.
            log(f"{name}: migrate wrote nothing; the migrated suite is not run")
            report["migrated"] = {"stage": "migrated", "not_run": "sqlasync migrate wrote nothing"}
        else:
            report["migrated"] = run_suite(project, defaults, venv, dirs["migrated"], "migrated", dirs["logs"],
                                           pg, extra)
        if "legacy" not in report and args.baseline and (base := load_baseline(args.baseline, name)):
            report["legacy"] = base
        if "legacy" in report and "results" in report["migrated"]:
            report["comparison"] = compare(report["legacy"], report["migrated"])
            report["failure_groups"] = group_failures(report["comparison"]["regressions"])
    if "plan" in stages:
        log(f"{name}: sqlasync plan and migrate --verify in {dirs['plan']}")
        report["plan"] = run_plan(project, defaults, venv, dirs["plan"], dirs["logs"], pg, extra)
        # The tree as --verify left it (the batches CMD passed), through the suite stage for per-test results.
        report["planned"] = run_suite(project, defaults, venv, dirs["plan"], "plan", dirs["logs"], pg, extra)
        if "legacy" not in report and args.baseline and (base := load_baseline(args.baseline, name)):
            report["legacy"] = base
        if "legacy" in report and "results" in report["planned"]:
            report["plan_comparison"] = compare(report["legacy"], report["planned"])
            c = report["plan_comparison"]
            log(f"{name}: {len(report['plan'].get('plan', {}).get('batches', []))} batch(es) planned, "
                f"{len(report['plan']['commits'])} kept; {c['still_passing']} of {c['legacy_passed']} "
                "legacy-passing tests pass on the tree --verify left")
    if args.cuts:
        if "legacy" not in report and args.baseline and (base := load_baseline(args.baseline, name)):
            report["legacy"] = base
        if "legacy" not in report:
            raise SystemExit("--cuts needs the legacy baseline: keep the legacy stage or pass --baseline")
        report["cuts"] = run_cuts(project, defaults, venv, dirs, excluded, pg, args, report["legacy"], extra)
    report["status"] = "ok"
    return report


def load_baseline(path: str, name: str) -> dict | None:
    """The legacy results of project `name` in an earlier JSON report (read when needed, so that
    the report of a run still going may serve)."""
    try:
        prev = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        log(f"{name}: baseline {path} unreadable: {exc}")
        return None
    for p in prev.get("projects", []):
        if p.get("project") == name and "results" in p.get("legacy", {}):
            return p["legacy"] | {"from_baseline": path}
    log(f"{name}: baseline {path} has no legacy results for it")
    return None


def app_files(tree: Path, project: dict) -> list[str]:
    files = []
    for app in project.get("app_paths", []):
        for p in sorted((tree / app).rglob("*.py")):
            rel = p.relative_to(tree).as_posix()
            parts = rel.split("/")
            if any(part in ("tests", "test") for part in parts) or parts[-1].startswith("test_") \
                    or parts[-1] == "conftest.py":
                continue
            files.append(rel)
    return files


def run_cuts(project, defaults, venv, dirs, excluded, pg, args, legacy, extra) -> dict:
    name = project["name"]
    files = app_files(dirs["legacy"], project)
    chosen = [f for f in files if not args.cut_glob or any(fnmatch.fnmatch(f, g) for g in args.cut_glob)]
    if args.sample:
        chosen = sorted(random.Random(args.seed).sample(chosen, min(args.sample, len(chosen))))
    if args.limit:
        chosen = chosen[: args.limit]
    log(f"{name}: cuts over {len(chosen)} of {len(files)} application files")
    cut_tree = dirs["cuts"] / "tree"
    results = []
    for i, rel in enumerate(chosen, 1):
        started = time.monotonic()
        extract(project, cut_tree, excluded)
        tag = f"cut{i:04d}"
        mig = run_migrate(cut_tree, venv, [rel], dirs["logs"] / "cuts", tag, defaults.get("migrate_timeout", 1800))
        entry = {"file": rel, "migrate_exit_code": mig["exit_code"], "files_changed": mig["git_changed_files"],
                 "sites_fixed": mig["sites_fixed"], "sites_left": mig["sites_left"], "fixed": mig["fixed"]}
        if mig["git_changed_files"] == 0:
            entry |= {"suite": "not run (nothing changed)", "passed": legacy["counts"]["passed"],
                      "retained_pct": 100.0, "regressions": 0}
        else:
            suite = run_suite(project, defaults, venv, cut_tree, "cut", dirs["logs"] / "cuts", pg, extra)
            cmp = compare(legacy, suite)
            entry |= {"counts": suite["counts"], "passed": suite["counts"]["passed"],
                      "retained_pct": cmp["retained_pct"], "regressions": len(cmp["regressions"]),
                      "failure_groups": group_failures(cmp["regressions"], top=5)}
            for suffix in ("junit.xml", "pytest.log"):
                src = dirs["logs"] / "cuts" / f"cut.{suffix}"
                if src.exists():
                    src.rename(dirs["logs"] / "cuts" / f"{tag}.{suffix}")
        entry["seconds"] = round(time.monotonic() - started, 1)
        results.append(entry)
        log(f"{name}: cut {i}/{len(chosen)} {rel}: migrate exit {entry['migrate_exit_code']}, "
            f"{entry['files_changed']} changed, passed {entry['passed']} ({entry['retained_pct']}% kept)")
    if cut_tree.exists() and not args.keep_trees:
        shutil.rmtree(cut_tree)
    return {"files_total": len(files), "files_run": len(chosen), "sample": args.sample, "seed": args.seed,
            "limit": args.limit, "results": results}


# ---------------------------------------------------------------------------------------------- report

def print_table(reports: list[dict]) -> None:
    head = ["project", "commit", "legacy pass/fail/err/skip", "migrated pass/fail/err/skip", "kept %",
            "migrate rc", "files chg", "fixed/left"]
    rows = []
    for r in reports:
        if r.get("status") != "ok":
            rows.append([r["project"], r["commit"][:12], r.get("status", "?"), r.get("reason", "")[:60], "", "", "", ""])
            continue
        def fmt(stage):
            st = r.get(stage, {})
            c = st.get("counts")
            if st.get("not_run"):
                return "not run: nothing written"
            return f"{c['passed']}/{c['failed']}/{c['errored']}/{c['skipped']}" if c else "-"
        m = r.get("migrate", {})
        rows.append([r["project"], r["commit"][:12], fmt("legacy"), fmt("migrated"),
                     str(r.get("comparison", {}).get("retained_pct", "-")), str(m.get("exit_code", "-")),
                     str(m.get("git_changed_files", "-")), f"{m.get('sites_fixed', '-')}/{m.get('sites_left', '-')}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    for r in reports:
        groups = r.get("failure_groups")
        if groups:
            n = len(r["comparison"]["regressions"])
            print(f"\n{r['project']}: {n} test(s) passed legacy and do not pass migrated; first error lines:")
            for g in groups[:12]:
                print(f"  {g['count']:>5}  {g['error']}")
                if g["frames"]:
                    print(f"         at {', '.join(g['frames'][:3])}")
        cuts = r.get("cuts")
        if cuts:
            print(f"\n{r['project']}: cuts ({cuts['files_run']} of {cuts['files_total']} files)")
            for c in cuts["results"]:
                print(f"  rc={c['migrate_exit_code']} chg={c['files_changed']:>3} passed={c['passed']:>5} "
                      f"kept={c['retained_pct']}%  {c['file']}")


def sqlasync_state() -> dict:
    """Which sqlasync ran: HEAD of /work/main and its uncommitted files (read-only git calls)."""
    git = ["git", "--no-optional-locks", "-C", str(SQLASYNC_ROOT)]
    _, head = run(git + ["rev-parse", "HEAD"], env=base_env(), timeout=60)
    _, status = run(git + ["status", "--porcelain", "--untracked-files=all"], env=base_env(), timeout=120)
    return {"root": str(SQLASYNC_ROOT), "head": head.strip(),
            "uncommitted": [ln[3:] for ln in status.splitlines()
                            if ln.strip() and not ln[3:].startswith("tests/realworld/")]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="projects file (default: projects.toml here)")
    ap.add_argument("--project", action="append", help="run only this project (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the projects and exit")
    ap.add_argument("--stages", default="legacy,migrated",
                    help="comma-separated: legacy, migrated (default both), plan (`sqlasync plan` and "
                         "`migrate --verify <the suite> --commit` on a tree of its own, then the suite)")
    ap.add_argument("--output", default=None, help="JSON report path (default <work_root>/report.json)")
    ap.add_argument("--work-root", default=None, help="override [defaults].work_root")
    ap.add_argument("--venv-root", default=None, help="override [defaults].venv_root")
    ap.add_argument("--rebuild-venv", action="store_true", help="rebuild the cached virtualenv")
    ap.add_argument("--pytest-arg", action="append", help="extra pytest argument (repeatable), e.g. -k name")
    ap.add_argument("--cuts", action="store_true", help="migrate each application file alone, run the suite")
    ap.add_argument("--limit", type=int, default=0, help="--cuts: at most N files")
    ap.add_argument("--sample", type=int, default=0, help="--cuts: a random sample of N files")
    ap.add_argument("--seed", type=int, default=0, help="--cuts: seed of --sample")
    ap.add_argument("--cut-glob", action="append", help="--cuts: only files matching this glob (repeatable)")
    ap.add_argument("--baseline", default=None, help="reuse the legacy results of this earlier JSON report")
    ap.add_argument("--keep-trees", action="store_true", help="keep the cut work tree")
    ap.add_argument("--sqlasync-rev", default=None,
                    help="run `migrate` with sqlasync as committed at this git revision of /work/main "
                         "(e.g. HEAD) instead of the live work tree; use another --work-root")
    args = ap.parse_args(argv)
    args.stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    bad = set(args.stages) - {"legacy", "migrated", "plan"}
    if bad:
        ap.error(f"unknown stage(s): {', '.join(sorted(bad))}")

    defaults, projects = load_config(Path(args.config))
    if args.list:
        for p in projects:
            print(f"{p['name']:<12} {p['commit']}  {p['mirror']}  ({p.get('database')})")
        return 0
    if args.project:
        unknown = set(args.project) - {p["name"] for p in projects}
        if unknown:
            ap.error(f"unknown project(s): {', '.join(sorted(unknown))}")
        projects = [p for p in projects if p["name"] in args.project]
    if args.cuts and len(projects) != 1:
        ap.error("--cuts runs one project: name it with --project")
    pg = Postgres(defaults.get("postgres", {}))
    work_root = Path(args.work_root or defaults.get("work_root", "/tmp/realworld"))
    output = Path(args.output) if args.output else work_root / "report.json"
    started = _dt.datetime.now(_dt.timezone.utc)
    state = sqlasync_state()
    if args.sqlasync_rev:
        global SQLASYNC_PYTHON
        SQLASYNC_PYTHON, sha = sqlasync_at_rev(args.sqlasync_rev, defaults, work_root)
        state = {"root": str(SQLASYNC_ROOT), "rev": args.sqlasync_rev, "head": sha, "uncommitted": [],
                 "migrate_python": SQLASYNC_PYTHON, "live_tree": state}
        log(f"sqlasync migrate runs from commit {sha[:12]} ({SQLASYNC_PYTHON})")
    else:
        log(f"sqlasync at {state['head'][:12]} with {len(state['uncommitted'])} uncommitted file(s) (live tree)")
    reports = []
    for project in projects:
        try:
            reports.append(process_project(project, defaults, args, pg))
        except Exception as exc:  # noqa: BLE001 - one project's failure must not lose the others
            log(f"{project['name']}: ERROR: {exc}")
            reports.append({"project": project["name"], "commit": project["commit"], "status": "error",
                            "reason": str(exc)})
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({"started": started.isoformat(), "sqlasync": state,
                                      "config": str(Path(args.config).resolve()), "projects": reports},
                                     indent=1))
    print()
    print_table(reports)
    print(f"\nJSON report: {output}")
    return 0 if all(r.get("status") in ("ok", "skipped") for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
