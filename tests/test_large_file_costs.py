"""Work that must be done once per file, not once per function, call or rule: on one very large module
(benchmarks/bench_large_file.py) such repeats made `check` grow with the square of the file's size. Each test
counts how often the work is done as the file grows; none measures time."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider
from sqlasync.codemods import registry  # noqa: F401  (the families register what the scan records)
from sqlasync.codemods.core import heap, tree
from sqlasync.codemods.core.evidence import ReceiverEvidence
from sqlasync.codemods.core.family import LARGE_MODULE_NODES, FileContext
from sqlasync.codemods.core.imports import Import, remove_unused_imports
from sqlasync.codemods.index.repo_index import ModuleLocation, scan_module
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.passes import parse, recognise

# A query kept in a variable in the function that makes it, and a query a helper returns kept in a variable by
# its caller: the scan follows both flows (query/flow.py), sorting each variable's bindings in source order.
FLOWS = '''
from sqlalchemy.orm import Session


def search_{i}(db: Session, owner_id: int):
    query = db.query(Job)
    query = query.filter(Job.owner_id == owner_id)
    return query.all()


def listing_{i}(status):
    rows = jobs_of(status)
    rows = rows.filter(Job.ready)
    return rows.all()
'''


class _CountsWalks:
    """A container that counts the walks over all of it."""

    walks = 0

    def __iter__(self):
        self.walks += 1
        return super().__iter__()


class _CountedParents(_CountsWalks, dict):
    """A parent map, counting the walks over all of it."""


def _parent_map_walks_of_scan(functions: int) -> int:
    wrapper = MetadataWrapper(cst.parse_module("".join(FLOWS.format(i=i) for i in range(functions))))
    parents = _CountedParents(tree.parent_map(wrapper.module))
    evidence = ReceiverEvidence(wrapper, Config(root=Path(".")), parents)
    parents.walks = 0
    scan_module(wrapper, "m.py", ModuleLocation("m", "", "."), evidence)
    return parents.walks


def test_the_flows_of_a_file_number_its_nodes_once() -> None:
    assert _parent_map_walks_of_scan(8) == _parent_map_walks_of_scan(1)


def test_removing_imports_resolves_only_the_qualified_names_the_remover_asks_for(monkeypatch) -> None:
    runs = []
    full_resolution = QualifiedNameProvider.visit_Module

    def visit_Module(self, node: cst.Module) -> None:  # (LibCST collects a visitor's methods by their names)
        runs.append(node)
        full_resolution(self, node)

    monkeypatch.setattr(QualifiedNameProvider, "visit_Module", visit_Module)
    module = cst.parse_module(
        "from typing import Literal, cast\n"
        "from a import InString, Unused, Used\n\n"
        'value = cast("InString", other)\n'
        'label: Literal["Unused"] = "x"\n\n\n'
        "def f(item: Used) -> None:\n"
        "    pass\n")
    updated = remove_unused_imports(module, [Import("a", "InString"), Import("a", "Unused"), Import("a", "Used")])
    # A name inside a string `cast` reads is a use; one inside `Literal[...]` is not (the remover asked which is
    # which).
    assert updated.code.splitlines()[1] == "from a import InString, Used"
    assert runs == []


def test_memory_a_large_file_used_up_goes_back_to_the_system(monkeypatch) -> None:
    trims = []
    monkeypatch.setattr(heap, "_MALLOC_TRIM", trims.append)
    small = b"value = 1\n"
    large = small * (heap.LARGE_SOURCE_BYTES // len(small) + 1)
    parse(small, "small.py")
    assert trims == []
    module = parse(large, "large.py")  # what the native parser used up
    assert trims == [0]
    context = FileContext(PurePosixPath("large.py"), Config(root=Path(".")), MetadataWrapper(module))
    assert len(context.parents) >= LARGE_MODULE_NODES
    context.release()  # the metadata of a large module, once released
    assert trims == [0, 0]


class _CountedBody(_CountsWalks, list):
    """A module's statements, counting the walks over all of them."""


def _module_body_walks(source: str) -> int:
    """How often recognising and scanning `source` walks its top-level statements."""
    parsed = cst.parse_module(source)
    body = _CountedBody(parsed.body)
    module = parsed.with_changes(body=body)
    context = FileContext(PurePosixPath("m.py"), Config(root=Path(".")), MetadataWrapper(module, unsafe_skip_copy=True))
    recognise(context, FAMILIES)
    scan_module(context.wrapper, "m.py", ModuleLocation("m", "", "."), context.evidence)
    return body.walks


def test_every_function_asking_whether_its_file_is_an_alembic_revision_reads_the_file_once() -> None:
    function = "\n\ndef touch_{i}(db: Session, item_id: int):\n    db.commit()\n"
    source = "from alembic import context\nfrom sqlalchemy.orm import Session\n"
    assert _module_body_walks(source + "".join(function.format(i=i) for i in range(8))) == \
        _module_body_walks(source + function.format(i=0))
