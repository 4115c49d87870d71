"""`sqlasync init`: write the async database module a project without one needs.

The module (`database_template.py` holds its text) builds the async engine from `DATABASE_URL`,
normalised to an async driver at run time, with pool settings from the environment, and offers
`get_db` for FastAPI, `init_db`/`close_db` for start-up and shutdown, and `check_db_connection`/
`get_db_info` for health endpoints.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from .database_template import render

DEFAULT_PATH = Path("app/core/database.py")


class ScaffoldError(Exception):
    """The module cannot be written (it exists, or its folder cannot be made)."""


def write_database_module(path: Path) -> str:
    """Write the module at `path` (never over an existing file); returns its dotted module name."""
    if path.exists() or path.is_symlink():
        raise ScaffoldError(f"{path} already exists; sqlasync init never overwrites a file "
                            "(choose another --path, or migrate the existing module with `sqlasync migrate`)")
    if path.suffix != ".py":
        raise ScaffoldError(f"{path}: the database module must be a .py file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(render())
    except OSError as exc:
        raise ScaffoldError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return module_name(path)


def module_name(path: Path) -> str:
    """`app/core/database.py` → `app.core.database` (relative to the current folder when under it)."""
    absolute = path.absolute()
    try:
        relative: PurePath = absolute.relative_to(Path.cwd())
    except ValueError:
        relative = PurePath(path.name)
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
