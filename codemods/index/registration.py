"""What the repository index records on behalf of a family, provided by that family when it is imported.

The index scans every module once for the whole run, and some of what it records belongs to a family: the legacy
queries handed to functions or returned by methods (Q, query/params.py and query/returns.py) and the fixtures that
drive an event loop (F110, coloring/loop_driver.py). The index names here what it needs; the family's package
fills it in (`register`), so the index never imports a family. `sqlasync.codemods.registry` imports every family.
"""

from __future__ import annotations

from types import ModuleType


class Provided:
    """The names one family provides to the index; read as attributes, like the module that provides them."""

    def __init__(self, what: str, names: tuple[str, ...]) -> None:
        self._what = what
        self._names = names

    def __getattr__(self, name: str):
        # Reached only for a name nothing provided yet: the family's package was never imported.
        raise RuntimeError(f"the repository index needs {name!r} from {self._what}, which has not registered it "
                           "(import sqlasync.codemods.registry before scanning)")


# Q: functions that receive a legacy Query (query/params.py), and the flow analysis the scan runs (query/flow.py).
QUERY_PARAMS = Provided("the Query family (query/params.py, query/flow.py)",
                        ("Candidate", "Unsupported", "candidate", "passed_shape", "query_origin", "scan_flows"))
# Q: methods that build a legacy Query and return it (query/returns.py, query/returns_repository.py).
QUERY_RETURNS = Provided("the Query family (query/returns.py, query/returns_repository.py)",
                         ("Helper", "QueryHelpers", "flask_helper", "local_names", "may_finish", "returned_use"))
# F110: fixtures that drive the event loop for sync tests (coloring/loop_driver.py).
LOOP_DRIVER = Provided("the coloring family (coloring/loop_driver.py)", ("scan",))


def register(slot: Provided, *providers: ModuleType) -> None:
    """Fill `slot` with its names, each from the first of `providers` that has it."""
    for name in slot._names:
        setattr(slot, name, getattr(next(p for p in providers if hasattr(p, name)), name))
