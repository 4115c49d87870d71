"""`[tool.sqlasync]` in the target repository's pyproject.toml."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TARGETS = ("async", "sync")
# How migrated async tests are run: anyio's pytest plugin ships with anyio (a FastAPI dependency).
TEST_ASYNC_MARKERS = ("anyio", "pytest-asyncio")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    """Settings with their defaults; TOML keys are the field names with dashes."""

    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    include: tuple[str, ...] = ("*.py",)
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    target: str = "async"
    # Receivers named like this count as sessions when nothing in scope says otherwise.
    session_names: tuple[str, ...] = ("db", "session", "db_session", "sess", "s")
    session_factories: tuple[str, ...] = ("SessionLocal",)
    # Type aliases such as `SessionDep = Annotated[Session, Depends(get_db)]` imported from elsewhere.
    session_aliases: tuple[str, ...] = ("DbSession", "SessionDep")
    session_decorators: tuple[str, ...] = ("provide_session",)
    get_db_names: tuple[str, ...] = ("get_db", "get_session")
    container_session_keys: tuple[str, ...] = ("db_session",)
    # Names that, imported from another module, are the project's engine (async once E101 has run there).
    engine_names: tuple[str, ...] = ("engine", "async_engine")
    asyncpg_names: tuple[str, ...] = ("conn", "connection", "con", "pool", "db_pool")
    get_db: str | None = None
    session_factory: str | None = None
    cache_dir: str = ".sqlasync_cache"
    # Derived by the run, never read from TOML: service-locator keys with `resolve()` calls D102 leaves alone,
    # whose registration D104 must therefore keep (see project_sources.py). None: not looked at.
    held_container_keys: tuple[str, ...] | None = None
    # Derived by the run, never read from TOML: the project's module-level `Name = scoped_session(...)`
    # registries, as `package.module.Name` (project_sources.py). E102 leaves them sync, so the sessions they
    # hand out stay sync wherever they are called. None: not looked at.
    scoped_registries: tuple[str, ...] | None = None
    test_async_marker: str = "anyio"

    def fingerprint(self) -> str:
        """Stable hash of everything that can change a file's findings (cache key part)."""
        data = asdict(self)
        for volatile in ("root", "source", "cache_dir", "select", "ignore", "include", "exclude"):
            data.pop(volatile)
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


_LIST_KEYS = {f.name for f in fields(Config) if f.type == "tuple[str, ...]"}
_STR_KEYS = {"target", "get_db", "session_factory", "cache_dir", "test_async_marker"}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.sqlasync] table."""
    start = Path(os.path.realpath(start))  # not resolve(): a symlink loop is reported later, not raised here
    for folder in (start, *start.parents) if os.path.isdir(start) else start.parents:
        candidate = folder / "pyproject.toml"
        if os.path.isfile(candidate) and "sqlasync" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read TOML: {exc}") from exc


def load_config(paths: list[Path], overrides: dict | None = None) -> Config:
    """Configuration for a run over `paths` (the first path decides which pyproject applies)."""
    anchor = paths[0] if paths else Path.cwd()
    pyproject = find_pyproject(anchor if os.path.exists(anchor) else Path.cwd())
    values: dict = {}
    if pyproject is not None:
        values = parse_table(_read_toml(pyproject)["tool"]["sqlasync"], pyproject)
        values["root"] = pyproject.parent
        values["source"] = pyproject
    else:
        values["root"] = Path.cwd().resolve()
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = Config(**values)
    if config.target not in TARGETS:
        raise ConfigError(f"target must be one of {', '.join(TARGETS)}, not {config.target!r}")
    if config.test_async_marker not in TEST_ASYNC_MARKERS:
        raise ConfigError(f"test-async-marker must be one of {', '.join(TEST_ASYNC_MARKERS)}, "
                          f"not {config.test_async_marker!r}")
    return config


def parse_table(table: dict, origin: Path) -> dict:
    """Validate a [tool.sqlasync] table; unknown keys and wrong types are errors naming the key."""
    values: dict = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{origin}: [tool.sqlasync] {key} must be a list of strings")
            values[name] = tuple(value)
        elif name in _STR_KEYS:
            if not isinstance(value, str):
                raise ConfigError(f"{origin}: [tool.sqlasync] {key} must be a string")
            values[name] = value
        else:
            known = sorted(k.replace("_", "-") for k in _LIST_KEYS | _STR_KEYS)
            raise ConfigError(f"{origin}: unknown key [tool.sqlasync] {key!r} (known keys: {', '.join(known)})")
    return values
