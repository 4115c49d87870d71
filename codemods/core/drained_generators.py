"""Generator expressions drained where they stand, which may hold `await` once they are list comprehensions.

`tag_1, tag_2 = (repo.create(tag) for tag in tags)` and `sum(repo.count(t) for t in tables)` run the
generator to its end on the spot. An `await` inside a generator expression would make it an async
generator, which neither unpacking nor `sum()` can drain; written as a list comprehension the same code
awaits in order, as it ran in order before. So where a call in such an expression becomes async, `await`
may go there, and the expression becomes a list comprehension; any other generator expression (returned,
stored, handed to a function that may stop early) stays, and `await` cannot go into it.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from .tree import children

# Builtins that consume their one iterable to the end (`any`/`all` stop early: not among them).
DRAINING_BUILTINS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max", "dict"})


def drained_at_once(generator: cst.GeneratorExp, parent_of: Callable[[cst.CSTNode], cst.CSTNode | None]) -> bool:
    """Is `generator` unpacked by an assignment or the one iterable of a draining builtin?"""
    parent = parent_of(generator)
    if isinstance(parent, cst.Arg):
        call = parent_of(parent)
        return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) \
            and call.func.value in DRAINING_BUILTINS and parent.keyword is None and not parent.star \
            and [arg for arg in call.args if arg.keyword is None] == [parent]
    if isinstance(parent, cst.Assign):
        return parent.value is generator and all(isinstance(t.target, (cst.Tuple, cst.List)) for t in parent.targets)
    return False


def awaiting_generators_as_lists(module: cst.Module) -> cst.Module:
    """Every generator expression the migration wrote an `await` into, as a list comprehension."""
    return module.visit(_AsLists())


class _AsLists(cst.CSTTransformer):
    def leave_GeneratorExp(self, original: cst.GeneratorExp, updated: cst.GeneratorExp) -> cst.BaseExpression:
        if not _awaits(updated):
            return updated
        return cst.ListComp(elt=updated.elt, for_in=updated.for_in)


def _awaits(generator: cst.GeneratorExp) -> bool:
    """Does the generator's own code await (its first iterable runs in the enclosing function)?"""
    stack: list[cst.CSTNode] = [generator.elt, generator.for_in]
    first_iterable = generator.for_in.iter
    while stack:
        node = stack.pop()
        if node is first_iterable or isinstance(node, cst.Lambda):
            continue
        if isinstance(node, cst.Await):
            return True
        if isinstance(node, cst.CompFor) and node.asynchronous is not None:
            return True
        stack.extend(children(node))
    return False
