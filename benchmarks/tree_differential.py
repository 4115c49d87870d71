"""Does codemods/core/tree.py's parent map equal LibCST's ParentNodeProvider on real code, and what does each cost?

For every .py file under DIR (parsed once), builds the parent map three ways and compares ours with LibCST's:
the same nodes, in the same order, each with the very same parent object. Prints the files compared, the files
that differ (and the first difference of each), and the CPU seconds of each way summed over the files:

- ParentNodeProvider, resolved through a MetadataWrapper as the recognisers used to;
- a plain walk asking each node for LibCST's `children` (what the provider does besides its visitor);
- tree.parent_map.

    python benchmarks/tree_differential.py /tmp/dispatch
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from sqlasync.codemods.core.tree import parent_map


def libcst_children_walk(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    parents = {}
    pending = [module]
    while pending:
        node = pending.pop()
        for child in node.children:
            parents[child] = node
            pending.append(child)
    return parents


def first_difference(expected, actual) -> str | None:
    """Where `actual` first departs from `expected`: a node missing, extra or out of order, or another parent."""
    if len(expected) != len(actual):
        return f"{len(expected)} nodes expected, {len(actual)} found"
    for index, ((node, parent), (our_node, our_parent)) in enumerate(zip(expected.items(), actual.items())):
        if node is not our_node:
            return f"node #{index}: {type(node).__name__} expected, {type(our_node).__name__} found"
        if parent is not our_parent:
            return f"node #{index} ({type(node).__name__}): parent {type(parent).__name__} expected, " \
                   f"{type(our_parent).__name__} found"
    return None


def timed(build, module):
    started = time.process_time()
    result = build(module)
    return result, time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    arguments = parser.parse_args()
    seconds = {"ParentNodeProvider": 0.0, "LibCST children walk": 0.0, "tree.parent_map": 0.0}
    compared = unparsable = nodes = lines = 0
    differing = []
    for path in sorted(arguments.folder.rglob("*.py")):
        try:
            source = path.read_bytes()
            module = cst.parse_module(source)
        except (cst.ParserSyntaxError, OSError, RecursionError):
            unparsable += 1
            continue
        expected, spent = timed(lambda m: MetadataWrapper(m, unsafe_skip_copy=True).resolve(ParentNodeProvider),
                                module)
        seconds["ParentNodeProvider"] += spent
        seconds["LibCST children walk"] += timed(libcst_children_walk, module)[1]
        ours, spent = timed(parent_map, module)
        seconds["tree.parent_map"] += spent
        compared += 1
        nodes += len(expected)
        lines += source.count(b"\n")
        difference = first_difference(expected, ours)
        if difference is not None:
            differing.append((path, difference))
    print(f"files compared: {compared} ({lines:,} lines, {nodes:,} nodes; {unparsable} not parsed)")
    print(f"files differing: {len(differing)}")
    for path, difference in differing:
        print(f"  {path}: {difference}")
    for method, spent in seconds.items():
        print(f"{method:>22}: {spent:7.2f} CPU-s")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
