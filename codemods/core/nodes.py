"""Reading one node: its metadata, qualified names, dotted name and string value, and the nodes under it."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

import libcst as cst
from libcst.metadata import QualifiedName
from libcst.metadata.base_provider import LazyValue

from .tree import children


def metadata_value(metadata, node: cst.CSTNode, default=None):
    """A resolved provider's value for `node`; some providers compute their values lazily."""
    value = metadata.get(node, default)
    return value() if isinstance(value, LazyValue) else value


def _qualified(metadata, node: cst.CSTNode) -> set[str]:
    return {q.name for q in metadata_value(metadata, node, ())}


class QualifiedNames(Mapping):
    """LibCST's QualifiedNameProvider map, each node's names computed when first asked for. The provider stores a
    lazy value (or a new empty set) for every node of the module, whitespace included: half the metadata of a
    module (benchmarks/bench_large_file.py), where the recognisers ask about a few names and annotations."""

    def __init__(self, module: cst.Module, scopes, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self._module = module
        self._scopes = scopes
        self._parents = parents
        self._names: dict[cst.CSTNode, Collection[QualifiedName]] = {}

    def __getitem__(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        names = self._names.get(node)
        if names is None:
            if node not in self:
                raise KeyError(node)
            scope = metadata_value(self._scopes, node)
            names = self._names[node] = scope.get_qualified_names_for(node) if scope is not None else set()
        return names

    def __contains__(self, node: object) -> bool:
        return node is self._module or node in self._parents

    def __iter__(self) -> Iterator[cst.CSTNode]:
        yield self._module
        yield from self._parents

    def __len__(self) -> int:
        return len(self._parents) + 1


def nodes_under(node: cst.CSTNode):
    """`node` and every node below it, in no particular order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def _same_module_name(qualified: str, registry: str) -> bool:
    """Does an import's qualified name (`tests.database.Session`, or `.database.Session` for a relative import,
    which LibCST leaves relative) name `registry`? A relative one is matched by its trailing components."""
    if not qualified.startswith("."):
        return qualified == registry
    tail = qualified.lstrip(".")
    return bool(tail) and (registry == tail or registry.endswith("." + tail))


def dotted_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def string_value(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return None if left is None or right is None else left + right
    return None
