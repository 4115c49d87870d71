"""The newest version of a library a project lets itself install, read from its own pins.

A rewrite must only write API the project's installed versions have (`Session.scalars` needs SQLAlchemy
1.4.24, `db.paginate` Flask-SQLAlchemy 3). Installing takes the newest version the pins allow, so what
counts is each requirement's upper bound: `==2.5.1`, `<3`, `~=2.5`, poetry's `^2.5` and bare `"2.5.1"`,
and the exact versions of lock files (poetry.lock, uv.lock), which win over everything else. Read from
requirements*.txt (also under requirements/), pyproject.toml (PEP 621 and poetry tables), setup.cfg and
the string literals of setup.py. No pin at all means no upper bound: the newest version.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# A requirement line: the package, its extras (`sqlalchemy[asyncio]`) and its version clauses.
REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<spec>[^;#]*)")
CLAUSE = re.compile(r"^\s*(===|==|~=|<=|<|>=|>|!=|\^|~)?\s*v?([0-9][0-9.*]*)\s*$")
QUOTED = re.compile(r"""["']([^"'\n]+)["']""")
LOCK_FILES = ("poetry.lock", "uv.lock")


@dataclass(frozen=True)
class Ceiling:
    """The newest version allowed: `version` itself when `inclusive`, else anything below it; `source` names the
    file that says so."""

    version: tuple[int, ...]
    inclusive: bool
    source: str

    def allows(self, version: tuple[int, ...]) -> bool:
        """Is `version` (or a newer release with the same prefix) within the ceiling?"""
        width = max(len(version), len(self.version))
        wanted, top = _padded(version, width), _padded(self.version, width)
        return wanted < top or (self.inclusive and wanted[:len(self.version)] <= self.version)


def ceiling(root: Path, package: str) -> Ceiling | None:
    """The pin that caps `package` in the project at `root` (the lowest one when several do); None: no cap."""
    return _ceilings(Path(root).resolve()).get(_normal(package))


def declared(root: Path) -> frozenset[str]:
    """Every package the project at `root` names in a requirements, project or lock file (normalised names)."""
    root = Path(root).resolve()
    names = {package for name in LOCK_FILES for package, _ in _lock_versions(root / name)}
    for _, requirement in _requirements(root):
        match = REQUIREMENT.match(requirement)
        if match is not None and not requirement.lstrip().startswith(("-", "#")):
            names.add(_normal(match["name"]))
    return frozenset(names)


def has_extra(root: Path, package: str, extra: str) -> bool:
    """Does a requirement of the project at `root` ask for `package[extra]`?"""
    wanted = _normal(package)
    for _, requirement in _requirements(Path(root).resolve()):
        found = REQUIREMENT.match(requirement)
        if found and found["extras"] and _normal(found["name"]) == wanted \
                and extra in (e.strip() for e in found["extras"].split(",")):
            return True
    return False


@lru_cache(maxsize=32)
def _ceilings(root: Path) -> dict[str, Ceiling]:
    locked: dict[str, Ceiling] = {}
    for name in LOCK_FILES:
        for package, version in _lock_versions(root / name):
            locked.setdefault(package, Ceiling(version, True, name))
    found: dict[str, Ceiling] = {}
    for source, requirement in _requirements(root):
        for package, cap in _caps(requirement, source):
            current = found.get(package)
            if current is None or _below(cap, current):
                found[package] = cap
    return {**found, **locked}


def _requirements(root: Path):
    files = sorted({*root.glob("requirements*.txt"), *root.glob("requirements/*.txt")})
    for path in files:
        for line in _text(path).splitlines():
            yield path.name, line
    pyproject = _toml(root / "pyproject.toml")
    project = pyproject.get("project", {})
    for line in project.get("dependencies", []):
        yield "pyproject.toml", line
    for lines in project.get("optional-dependencies", {}).values():
        for line in lines:
            yield "pyproject.toml", line
    poetry = pyproject.get("tool", {}).get("poetry", {})
    groups = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {}),
              *(group.get("dependencies", {}) for group in poetry.get("group", {}).values())]
    for group in groups:
        for name, spec in group.items():
            extras = spec.get("extras", []) if isinstance(spec, dict) else []
            spec = spec.get("version", "") if isinstance(spec, dict) else spec
            if isinstance(spec, str):
                # poetry: a bare version is exact, `^`/`~` are caret/tilde ranges.
                name = f"{name}[{','.join(extras)}]" if extras else name
                yield "pyproject.toml", f"{name} {'==' if spec[:1].isdigit() else ''}{spec}"
    setup_cfg = _text(root / "setup.cfg")
    requires = re.search(r"install_requires\s*=\s*\n((?:[ \t]+\S.*\n?)*)", setup_cfg)
    for line in requires.group(1).splitlines() if requires else ():
        yield "setup.cfg", line
    for literal in QUOTED.findall(_text(root / "setup.py")):
        if REQUIREMENT.match(literal) and re.search(r"[<>=~^]", literal):
            yield "setup.py", literal


def _caps(requirement: str, source: str):
    match = REQUIREMENT.match(requirement)
    if match is None or requirement.lstrip().startswith(("-", "#")):
        return
    package = _normal(match["name"])
    for clause in match["spec"].split(","):
        parsed = CLAUSE.match(clause)
        if parsed is None or not parsed.group(2):
            continue
        operator, text = parsed.group(1) or "==", parsed.group(2).rstrip(".")
        version = tuple(int(part) for part in text.rstrip(".*").split(".") if part.isdigit())
        if not version or operator in (">=", ">", "!="):
            continue
        if operator in ("==", "===", "<="):
            yield package, Ceiling(version, True, source)
        elif operator == "<":
            yield package, Ceiling(version, False, source)
        elif operator == "~=" and len(version) > 1:
            yield package, Ceiling((*version[:-2], version[-2] + 1), False, source)
        elif operator == "^":
            significant = next((i for i, part in enumerate(version) if part), len(version) - 1)
            yield package, Ceiling((*version[:significant], version[significant] + 1), False, source)
        elif operator == "~":
            cut = 1 if len(version) == 1 else 2
            yield package, Ceiling((*version[:cut - 1], version[cut - 1] + 1), False, source)


def _below(one: Ceiling, other: Ceiling) -> bool:
    width = max(len(one.version), len(other.version))
    return (_padded(one.version, width), one.inclusive) < (_padded(other.version, width), other.inclusive)


def _lock_versions(path: Path):
    for package in _toml(path).get("package", []):
        name, version = package.get("name"), package.get("version", "")
        parts = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
        if name and parts:
            yield _normal(name), parts


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _padded(version: tuple[int, ...], width: int) -> tuple[int, ...]:
    return version + (0,) * (width - len(version))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(_text(path)) if path.is_file() else {}
    except tomllib.TOMLDecodeError:
        return {}
