"""A node's children and a module's parent map, read straight from the nodes' fields.

LibCST's `CSTNode.children` rebuilds the node (with validation) to learn its children, and ParentNodeProvider runs
a full visitor that asks every node for `children` on top: most of the cost of a module's parent map
(benchmarks/tree_differential.py). Here the children are the values of the fields that the node's
`_visit_and_replace_children` visits, in that order, so the same nodes come out in the same order without building
anything; the map is the one ParentNodeProvider records, in the order it records it (callers iterate over it:
query/flow.py orders sites by it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter

import libcst as cst


class _FieldOrder(cst.CSTVisitor):
    """Notes the fields LibCST visits in a node, in its order, without going below the node."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False


# Per node class, one getter of the values of its visited fields (LibCST's visit order is fixed per class).
_FIELD_GETTERS: dict[type, Callable[[cst.CSTNode], tuple]] = {}


def _field_getter(node: cst.CSTNode) -> Callable[[cst.CSTNode], tuple]:
    order = _FieldOrder()
    node._visit_and_replace_children(order)
    visited = list(dict.fromkeys(order.fields))
    # A field LibCST leaves unvisited when it is empty (an f-string expression's `format_spec` of None, the last
    # one it visits) goes after the visited ones; fields that never hold a node add nothing.
    visited += [field.name for field in fields(node) if field.name not in visited]
    if not visited:  # `ImportStar`: a node without fields
        return lambda value: ()
    getter = attrgetter(*visited)
    if len(visited) == 1:
        return lambda value: (getter(value),)
    return getter


# Per type of a field's value: is it a node, a sequence (of nodes) or neither. `isinstance(value, CSTNode)` goes
# through the ABC machinery, several times slower than this look-up, for some five values a node.
_NEITHER, _NODE, _SEQUENCE = 0, 1, 2
_KINDS: dict[type, int] = {}


def _kind(value: object) -> int:
    kind = _KINDS[type(value)] = (_NODE if isinstance(value, cst.CSTNode)
                                  else _SEQUENCE if isinstance(value, (tuple, list)) else _NEITHER)
    return kind


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The same nodes as `node.children`, in the same order."""
    getter = _FIELD_GETTERS.get(type(node))
    if getter is None:
        getter = _FIELD_GETTERS[type(node)] = _field_getter(node)
    found = []
    for value in getter(node):
        kind = _KINDS.get(type(value))
        if kind is None:
            kind = _kind(value)
        if kind == _NODE:
            found.append(value)
        elif kind == _SEQUENCE:
            found.extend(value)
    return found


def parent_map(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent, the mapping ParentNodeProvider resolves, keys in its order: a parent's children are
    recorded as its visit leaves it, so in post-order of the parents. Iterative: a long chain of operators nests
    deeper than Python's recursion limit allows."""
    # Children pushed left to right and popped right to left visit the mirror image of the tree in pre-order;
    # that sequence reversed is the post-order, left to right.
    mirrored: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = []
    pending: list[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        below = children(node)
        mirrored.append((node, below))
        pending.extend(below)
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    for node, below in reversed(mirrored):
        for child in below:
            parents[child] = node
    return parents
