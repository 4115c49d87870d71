"""Where a rewrite may write `await` or `async with`: only inside a function that is, or will become, async.

The S, D and E rewrites never turn a `def` into `async def` themselves: the async coloring (family F)
does that for every function that ends up holding an `await`, and awaits its callers in turn. Which
functions it makes async is `FileContext.will_be_async`; why one stays sync, `async_blocker`. On top
of that, some places inside a function have no coroutine to suspend: lambdas, generator expressions
(an await would turn them into async generators) other than those drained on the spot
(drained_generators.py), class bodies and module level.
"""

from __future__ import annotations

import libcst as cst

from .drained_generators import drained_at_once
from .nodes import dotted_name
from .family import FileContext


def await_problem(context: FileContext, node: cst.CSTNode) -> str | None:
    """Why `await` cannot be written at `node`; None when it can (now or once the function is async)."""
    evidence = context.evidence
    below: cst.CSTNode | None = None
    child: cst.CSTNode = node
    parent = evidence.parent(node)
    while parent is not None:
        if isinstance(parent, cst.Lambda):
            return "inside a lambda, which cannot await; move the code into a function"
        # Only the first iterable of a generator expression is evaluated by the enclosing function.
        if isinstance(parent, cst.GeneratorExp) and not (child is parent.for_in and below is parent.for_in.iter) \
                and not drained_at_once(parent, evidence.parent):
            return "inside a generator expression, where `await` would make it an async generator; use a list"
        if isinstance(parent, cst.FunctionDef) and child is parent.body:
            return context.async_blocker(parent)
        if isinstance(parent, cst.ClassDef) and child is parent.body:
            return "in a class body, which runs at import time and cannot await"
        below, child, parent = child, parent, evidence.parent(parent)
    return "at module level, which runs at import time and cannot await; move it into an async function"


def decorator_name(decorator: cst.Decorator) -> str:
    target = decorator.decorator
    return (dotted_name(target.func if isinstance(target, cst.Call) else target) or "")
