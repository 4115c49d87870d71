"""codemods/core/tree.py against LibCST itself: the same children as `CSTNode.children` and the same parent map as
ParentNodeProvider (same nodes, same order, the very same parent objects) over sources that use every kind of
node the recognisers meet. benchmarks/tree_differential.py compares them over a whole real repository."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from sqlasync.codemods.core import tree

SOURCES = {
    "decorators": """
        @app.route("/items", methods=["GET"])
        @login_required
        class Items(Base, metaclass=Meta):
            @property
            def count(self) -> int: return len(self.items)  # one line
    """,
    "comprehensions": """
        pairs = [(a, b) for a in range(3) if a for b in range(a) if b != a]
        index = {key: value async for key, value in rows() if value}
        unique = {x for x in data}
        total = sum(x * 2 for x in data)
    """,
    "f-strings": """
        name = f"{user.name!r:>{width}} {value=} {'nested'} {x:{'>' if right else '<'}10}"
        first = f"{a}" f'{b:%Y-%m-%d}' "plain" r"raw"
        deep = f"{f'{inner!s}'}"
    """,
    "match": """
        match command.split():
            case [action, *rest] if action in ACTIONS:
                run(action, rest)
            case {"kind": "point", "x": 0 | 1 as x, **others}:
                pass
            case Point(x=0, y=_) | None:
                pass
            case _:
                pass
    """,
    "lambdas": """
        key = lambda item, *args, scale=2, **kwargs: item.score * scale
        nothing = lambda: None
        positional = lambda a, /, b, *, c: (a, b, c)
    """,
    "with-items": """
        async def work():
            with open(a) as first, open(b) as second:
                pass
            async with (
                engine.begin() as connection,
                Session(bind=connection) as session,
            ):
                await session.execute(query)
    """,
    "annotations": """
        from typing import Annotated
        Db: Annotated[Session, Depends(get_db)] = None
        def get(db: Session = Depends(get_db), *ids: int, flag: bool | None = None, **rest: str) -> list[Item]:
            value: dict[str, "Item"]
            return db.query(Item).filter(Item.id.in_(ids)).all()
        type Pair[T: int, *Ts, **P] = tuple[T, T]
        def generic[T = int](x: T) -> T: ...
    """,
    "statements": """
        from . import sibling
        from ..package.module import (first as one, second,)
        from os import *
        import a.b.c as d, e
        global counter; nonlocal_name = 1; del x[0], y.z
        if (n := len(items)) > 10 and not done or x is not None:
            raise ValueError("many") from None
        elif x: assert x, "message"
        else: pass
        try:
            yield from rows
        except* (KeyError, OSError) as error:
            print(*error.args, sep="\\n", end=""); x @= y; x **= -~z
        finally:
            counter += 1
        for i, (j, k) in enumerate(pairs): continue
        else: break
        while True: x = y = z[1:2, ::3, ...]
        \\
        print(a if b else c, await d if e else [*f], {**g}, (h,), not i)
    """,
}


def _recorded(mapping) -> list[tuple[int, int]]:
    return [(id(node), id(parent)) for node, parent in mapping.items()]


def _parsed(name: str) -> cst.Module:
    return cst.parse_module(textwrap.dedent(SOURCES[name]).lstrip("\n"))


@pytest.mark.parametrize("name", SOURCES)
def test_the_parent_map_is_parent_node_providers(name):
    module = _parsed(name)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    assert _recorded(tree.parent_map(module)) == _recorded(expected)


@pytest.mark.parametrize("name", SOURCES)
def test_children_are_libcsts_in_its_order(name):
    pending = [_parsed(name)]
    while pending:
        node = pending.pop()
        assert [id(child) for child in tree.children(node)] == [id(child) for child in node.children], node
        pending.extend(node.children)


def test_a_format_spec_is_a_child_after_an_f_string_without_one(monkeypatch):
    """LibCST skips a missing format spec without a trace, so the order of the fields learnt from an f-string
    expression without one must still place another's spec."""
    monkeypatch.setattr(tree, "_FIELD_GETTERS", {})
    plain, specified = (cst.parse_expression(text).parts[0] for text in ("f'{a}'", "f'{b:>{width}}'"))
    for expression in (plain, specified):
        assert [id(child) for child in tree.children(expression)] == [id(child) for child in expression.children]


def test_a_chain_deeper_than_the_recursion_limit():
    """Only LibCST's visitor recurses: the map of a sum nested deeper than Python's recursion limit (1,000) is built
    all the same. (Parsing such a sum costs LibCST time that grows with its square.)"""
    module = cst.parse_module("total = " + " + ".join(["x"] * 1200) + "\n")
    parents = tree.parent_map(module)
    name = module.body[0].body[0].value.left
    while not isinstance(name, cst.Name):
        name = name.left
    depth = 0
    while name is not module:
        name = parents[name]
        depth += 1
    assert depth > 1200
