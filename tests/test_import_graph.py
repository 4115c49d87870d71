"""The layers of the package, read from the source: no import circles, and each layer imports only what it may.

codemods/ has four layers (README, "Architecture"): `core/` (shared machinery) imports only itself; `index/` (the
repository index) imports core; a family package (`query/`, `session/`, ...) imports core, index, its own modules,
and of another family only what that family's `__init__` exports; `registry.py` and `postcondition/` sit on top;
codemods/ imports of the toolkit only its leaf modules. compat/ is what users' applications import at runtime: it
imports neither LibCST nor the rest of sqlasync.

Imports under `if TYPE_CHECKING:` are not run and do not count; imports inside functions do.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = {"toolkit": "sqlasync", "codemods": "sqlasync.codemods", "compat": "sqlasync.compat"}
CODEMODS = "sqlasync.codemods"
FAMILIES = ("query", "session", "bootstrap", "raw_asyncpg", "coloring")
# What each layer of codemods/ may import from codemods/ (a family's own package is added below).
ALLOWED = {"core": ("core",), "index": ("core", "index"), "postcondition": ("core", "index", "postcondition")}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every import statement that runs: at module level or in a function, not under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for other in node.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _import_nodes(node)


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports: `from x import y` is module x.y when that is a module, else x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {module for module in found if module in modules and module != name} | \
        {module for module in found if module.split(".")[0] == "libcst"}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for other in edges:
                if other not in graph:
                    continue
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(graph[other]))))
                    break
                if other in on_stack:
                    low[node] = min(low[node], index[other])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_circle_finder_finds_circles() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    assert _circles(graph) == []


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if module.startswith(CODEMODS + ".") and len(parts) > 3 else None


def test_each_codemods_layer_imports_only_what_it_may(graph: dict[str, set[str]]) -> None:
    wrong = []
    for module, imported in sorted(graph.items()):
        layer = _layer(module)
        if layer is None:
            continue  # codemods/__init__.py, registry.py and everything outside codemods/
        allowed = ALLOWED.get(layer, ("core", "index", layer))
        for other in sorted(imported):
            if not other.startswith(CODEMODS + "."):
                continue
            if _layer(other) in allowed:
                continue
            # Another family's public face: its package, never one of its modules.
            if layer in FAMILIES and other in {f"{CODEMODS}.{family}" for family in FAMILIES}:
                continue
            wrong.append(f"{module} -> {other}")
    assert wrong == []


# What codemods/ may import from the rest of sqlasync: toolkit's leaf modules (which import no codemods) and compat.
TOOLKIT_LEAVES = ("sqlasync.config", "sqlasync.source", "sqlasync.keyed_cache")


def test_codemods_imports_only_the_leaves_of_the_toolkit(graph: dict[str, set[str]]) -> None:
    wrong = [f"{module} -> {other}" for module, imported in sorted(graph.items()) if module.startswith(CODEMODS)
             for other in sorted(imported) if other.startswith("sqlasync.") and not other.startswith(CODEMODS)
             and other not in TOOLKIT_LEAVES and not other.startswith("sqlasync.compat")]
    assert wrong == []


def test_compat_imports_neither_libcst_nor_the_rest_of_sqlasync(graph: dict[str, set[str]]) -> None:
    wrong = [f"{module} -> {other}" for module, imported in sorted(graph.items()) if module.startswith("sqlasync.compat")
             for other in sorted(imported) if not other.startswith("sqlasync.compat")]
    assert wrong == []


def test_the_readme_names_every_layer() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Architecture"):]
    section = section[:section.index("\n#")] if "\n#" in section else section
    for layer in ("compat/", "codemods/core/", "codemods/index/", "codemods/registry.py", "toolkit/",
                  *(f"`{family}/`" for family in FAMILIES)):
        assert layer in section, layer
