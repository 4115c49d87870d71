"""sqlasync.compat is imported by applications: it must not need LibCST, rich, pathspec or drivers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

FORBIDDEN = ["libcst", "rich", "pathspec", "asyncpg", "aiosqlite", "aiomysql", "psycopg2", "fastapi", "starlette"]


def test_compat_and_every_submodule_import_with_toolkit_dependencies_unimportable() -> None:
    script = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        forbidden = {FORBIDDEN!r}
        for name in forbidden:
            sys.modules[name] = None  # any `import name` now raises ImportError
        import sqlasync.compat as compat
        submodules = sorted(info.name for info in pkgutil.iter_modules(compat.__path__))
        for name in submodules:
            importlib.import_module(f"sqlasync.compat.{{name}}")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "sqlasync")
        print(len(submodules))
        print(" ".join(loaded))
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    count, loaded = completed.stdout.splitlines()
    assert int(count) >= 15
    foreign = [name for name in loaded.split() if name != "sqlasync" and not name.startswith("sqlasync.compat")]
    assert foreign == []
