"""What one module says about async coloring: its functions, classes, module-level names and call sites.

The facts are plain tuples and dataclasses so that they can be cached, pickled to worker processes
and resolved against every other module of the repository (`repo_index.py`). Expressions whose
meaning depends on other modules are kept symbolic (`Expr`): `("name", "app.services.jobs.get_job")`,
`("attr", ("self", path, "TaskService"), "tasks")`, `("call", ...)` and so on; `repo_index` resolves
them once every module is known. The same scan runs when the index is built and when the F
recogniser looks at a file, so both see the same call sites.
"""

from __future__ import annotations


import libcst as cst
from libcst.helpers import get_absolute_module_for_import

from .registration import QUERY_RETURNS as query_returns
from ..core.evidence import ReceiverEvidence
from ..core.nodes import dotted_name
from .facts import TYPEVARS, Expr, ModuleFacts, _LocalInProgress, _LocalValue, is_test_file
from .scan_calls import _CallSites
from .scan_definitions import _Definitions
from .scan_expressions import _Expressions
from .scan_nodes import _as_name, _other_blocks


class ModuleScanner(_Definitions, _CallSites, _Expressions):
    """Builds `ModuleFacts` from a module whose scope/parent metadata is already resolved."""

    def __init__(self, path: str, module_name: str, package: str, evidence: ReceiverEvidence) -> None:
        self.path = path
        self.module_name = module_name
        self.package = package
        self.evidence = evidence
        self.parents = evidence.parents
        self.scopes = evidence.scopes
        self.module = evidence.module
        self._lines: dict[int, int] = {}
        self._in_progress: set[int] = set()
        # Values of local names (see _local), and the names being worked out, innermost last.
        self._locals: dict[tuple[int, str], _LocalValue] = {}
        self._locals_in_progress: list[_LocalInProgress] = []
        self._roles: dict[int, str | None] = {}
        self._query_flows = None
        self._flask: bool | None = None
        self._query_helpers: query_returns.QueryHelpers | None = None
        self.facts = ModuleFacts(path, module_name, package, is_test_module=is_test_file(path),
                                 is_conftest=path.rsplit("/", 1)[-1] == "conftest.py")

    # -- entry point ------------------------------------------------------------------------------
    def scan(self, line_of=None) -> ModuleFacts:
        self.prepare(line_of)
        for node in self.parents:
            if isinstance(node, cst.FunctionDef):
                facts = self.function_facts(node)
                self.facts.functions[facts.qualname] = facts
                received = self.receives_query(node)
                if received is not None:
                    self.facts.query_functions[facts.qualname] = received
                if isinstance(self.query_helpers.helper(node), query_returns.Helper):
                    self.facts.query_helpers.append(facts.qualname)
                found = query_returns.flask_helper(self.evidence, node, facts.decorators, facts.is_generator)
                if found is not None:
                    model, repeats = found
                    self.facts.flask_helpers[facts.qualname] = (self.expr(model), repeats,
                                                                query_returns.local_names(self.evidence, model))
            elif isinstance(node, cst.ClassDef):
                facts = self._class(node)
                self.facts.classes[facts.qualname] = facts
            elif isinstance(node, cst.Call):
                self.facts.calls.append(self.call_site(node))
                read = self.read_by_name(node)
                if read is not None:
                    self.facts.reads.append(read)
            elif isinstance(node, cst.WithItem):
                self.facts.calls.extend(self.entry_sites(node))
            elif isinstance(node, cst.Lambda):
                use = self.thunk_use(node)
                if use is not None:
                    self.facts.values.append(use)
            elif isinstance(node, (cst.Name, cst.Attribute)):
                use = self.value_use(node)
                if use is not None:
                    self.facts.values.append(use)
                read = self.attribute_read(node) if isinstance(node, cst.Attribute) else None
                if read is not None:
                    self.facts.reads.append(read)
        return self.facts

    def prepare(self, line_of=None) -> None:
        """Collect the module-level names every other question depends on (`scan` does it first)."""
        self.line_of = line_of or (lambda node: 0)
        self._collect_module_names(self.module.body)
        # pytest collects test_* functions from test_*.py files; a module that imports pytest is one too.
        self.facts.is_test_module = self.facts.is_test_module or any(
            binding == ("name", "pytest") or (binding and binding[0] == "name" and binding[1].startswith("pytest."))
            for binding in self.facts.names.values())
        self._locals.clear()  # worked out while the module's names were incomplete

    # -- module-level names -----------------------------------------------------------------------
    def _collect_module_names(self, body) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._locals.clear()  # what a local name is worked out to may read the names collected so far
                    self._module_binding(small)
            elif isinstance(statement, cst.FunctionDef):
                self.facts.names[statement.name.value] = ("def", self.path, statement.name.value)
            elif isinstance(statement, cst.ClassDef):
                self.facts.names[statement.name.value] = ("class", self.path, statement.name.value)
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):
                self._collect_module_names(statement.body.body)
                for extra in _other_blocks(statement):
                    self._collect_module_names(extra)

    def _imported(self, statement: cst.Import | cst.ImportFrom, name: str) -> Expr | None:
        """What `name`, bound by an import statement inside a function, stands for."""
        saved = self.facts.names
        self.facts.names = {}
        try:
            self._module_binding(statement)
            return self.facts.names.get(name)
        finally:
            self.facts.names = saved

    def _module_binding(self, small: cst.BaseSmallStatement) -> None:
        names = self.facts.names
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None:
                    names[_as_name(alias)] = ("name", full)
                else:
                    head = full.split(".")[0]
                    names[head] = ("name", head)
        elif isinstance(small, cst.ImportFrom):
            try:
                base = get_absolute_module_for_import(self.module_name if self.package != self.module_name
                                                      else f"{self.module_name}.__init__", small)
            except Exception:  # noqa: BLE001 - a relative import beyond the top package: leave it unknown
                base = None
            if base is None:
                return
            if isinstance(small.names, cst.ImportStar):
                self.facts.star_imports.append(base)  # (`from .views import *` in a package's __init__.py)
                return
            for alias in small.names:
                imported = dotted_name(alias.name) or ""
                names[_as_name(alias) or imported] = ("name", f"{base}.{imported}")
        elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            name = small.targets[0].target.value
            names[name] = self.expr(small.value) if name not in names else None
            bound = self._typevar_bound(small.value) if names[name] in TYPEVARS else None
            if bound is not None:
                self.facts.typevar_bounds[name] = bound
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            names[small.target.value] = (self.expr(small.value) if small.value is not None
                                         else self.annotation(small.annotation.annotation))

    def _typevar_bound(self, call: cst.BaseExpression) -> Expr | None:
        """The class `TypeVar("T", bound=Base)` (or `bound="Base"`) is bounded by."""
        bound = next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "bound"),
                     None) if isinstance(call, cst.Call) else None
        found = self.annotation(bound) if bound is not None else None
        return found[1] if found is not None and found[0] == "inst" else None
