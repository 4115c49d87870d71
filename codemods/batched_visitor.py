"""A batchable visitor whose visitor methods are found once per class, not once per instance.

libcst's `BatchableCSTVisitor.get_visitors` runs `inspect.getmembers` on every instance it batches: over
the hundreds of members a visitor inherits (every no-op `visit_`/`leave_` stub) that was a tenth of a
whole `check`. Which methods it finds depends on the class alone (no visitor here assigns a visit or
leave method to an instance), so the names are kept per class and each instance only binds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst

_METHOD_NAMES: dict[type, tuple[str, ...]] = {}


class ClassBatchableVisitor(cst.BatchableCSTVisitor):
    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        names = _METHOD_NAMES.get(type(self))
        if names is None:
            names = _METHOD_NAMES[type(self)] = tuple(super().get_visitors())
        return {name: getattr(self, name) for name in names}
