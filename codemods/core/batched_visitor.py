"""A batchable visitor that finds its visitor methods in its own classes, not in all its members.

libcst's `BatchableCSTVisitor.get_visitors` runs `inspect.getmembers` on every instance it batches: over
the hundreds of no-op `visit_`/`leave_` stubs a visitor inherits from libcst, for every file. The methods
that count are among the members the subclasses of this class define (or an instance holds): looked up
there on each call, they are found at a fraction of the cost, and a method patched onto a class at run
time still counts.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping

import libcst as cst

_PREFIXES = ("visit_", "leave_")


class OwnMethodsBatchableVisitor(cst.BatchableCSTVisitor):
    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        own = type(self).__mro__[:type(self).__mro__.index(OwnMethodsBatchableVisitor)]
        methods = {}
        for name in sorted({name for holder in (self, *own) for name in vars(holder)}):
            member = getattr(self, name)
            # libcst's own test: a method counts by its function's name, not by the attribute holding it.
            if (inspect.ismethod(member) and member.__name__.startswith(_PREFIXES)
                    and not getattr(member, "_is_no_op", False)):
                methods[name] = member
        return methods
