"""Recognisers batch exactly the visitor methods libcst's own `get_visitors` would find for them."""

from __future__ import annotations

import libcst as cst
from sqlasync.analysis import analyse
from sqlasync.codemods.core.batched_visitor import OwnMethodsBatchableVisitor
from sqlasync.codemods.core.progress import MigratedConstructs
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from support.cases import positive_cases


class _Sample(OwnMethodsBatchableVisitor):
    def visit_Name(self, node: cst.Name) -> None:
        pass

    def leave_Call(self, original_node: cst.Call) -> None:
        pass

    def helper(self) -> None:
        pass


def test_the_methods_are_libcsts_also_when_patched_at_run_time(monkeypatch) -> None:
    sample = _Sample()
    assert sample.get_visitors() == cst.BatchableCSTVisitor.get_visitors(sample)
    assert set(sample.get_visitors()) == {"visit_Name", "leave_Call"}

    def visit_Call(self, node: cst.Call) -> None:
        pass

    monkeypatch.setattr(_Sample, "visit_Call", visit_Call, raising=False)
    assert sample.get_visitors() == cst.BatchableCSTVisitor.get_visitors(sample)
    assert "visit_Call" in sample.get_visitors()
    # Like libcst, a function counts by its own name: a lambda is no visitor, whatever it is stored as.
    monkeypatch.setattr(_Sample, "leave_Name", lambda self, node: None, raising=False)
    assert sample.get_visitors() == cst.BatchableCSTVisitor.get_visitors(sample)


def test_every_visitor_of_an_analysis_batches_what_libcst_would(monkeypatch, tmp_path) -> None:
    own = OwnMethodsBatchableVisitor.get_visitors
    compared: set[type] = set()

    def checked(self):
        found = own(self)
        assert found == cst.BatchableCSTVisitor.get_visitors(self), type(self).__name__
        compared.add(type(self))
        return found

    monkeypatch.setattr(OwnMethodsBatchableVisitor, "get_visitors", checked)
    for case in positive_cases():
        analyse(case.before.encode(), case.path.name, Config(root=tmp_path), FAMILIES, case.target)
    assert MigratedConstructs in compared
    assert len(compared) > len(FAMILIES)
