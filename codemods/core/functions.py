"""One definition read on its own: its qualified name, the nodes of its own body, whether that body yields."""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from .tree import children


def qualname_of(node: cst.FunctionDef | cst.ClassDef, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> str:
    """Python's `__qualname__` for a definition: `C.m`, `outer.<locals>.inner`."""
    parts = [node.name.value]
    current = parents.get(node)
    while current is not None:
        if isinstance(current, cst.ClassDef):
            parts.append(current.name.value)
        elif isinstance(current, cst.FunctionDef):
            parts.append("<locals>")
            parts.append(current.name.value)
        current = parents.get(current)
    return ".".join(reversed(parts))


def own_nodes(function: cst.FunctionDef):
    """The nodes of `function`'s body, not of the functions, lambdas and classes nested in it."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in children(node) if not isinstance(child, (cst.FunctionDef, cst.Lambda,
                                                                                 cst.ClassDef)))


def _yields(function: cst.FunctionDef) -> bool:
    """Whether the function's own body (not nested functions) yields."""
    class Finder(cst.CSTVisitor):
        found = False

        def visit_Yield(self, node: cst.Yield) -> None:
            self.found = True

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    finder = Finder()
    function.visit(finder)
    return finder.found
