"""Inference over one project: what a name, an attribute, a call or an annotation holds (kinds.py).

Module-level names, function locals, instance attributes and return values are memoised, each resolved from
depth 0 with a guard against cycles, so a chain of reassignments (`q = q.filter(...)`) costs one pass, not one
per path.
"""

from __future__ import annotations

import ast

from .kinds import (
    ClassRef,
    FunctionRef,
    Kind,
    Parameter,
    Scope,
    Tag,
)
from .locators import Locators
from .project import Binding, Declared, Entered, Imported, Module, ModuleRef, Project, Unknown, Unpacked
from .inference_expressions import _Expressions
from .inference_functions import _Functions
from .inference_nodes import MAX_DEPTH, _qualname


class Inference(_Expressions, _Functions):
    """Infers kinds over one project, memoising what module-level names hold."""

    def __init__(self, project: Project, trust_session_annotations: bool = True) -> None:
        self.project = project
        # False when the run leaves `Session` annotations as they are (S102 not selected): they may then
        # describe what a parameter was, not what it receives.
        self.trust_session_annotations = trust_session_annotations
        self._globals: dict[tuple[str, str], Kind | None] = {}
        self._active: set[tuple[str, str]] = set()
        self._returns: dict[FunctionRef, Kind | None] = {}
        self._locals: dict[tuple[int, str], Kind | None] = {}
        # Sync functions proven to return a coroutine (filled by the checker's fixpoint).
        self.coroutine_returning: set[tuple[str, str]] = set()
        self._subclass_table: dict[ClassRef, list[ClassRef]] | None = None
        self.locators = Locators(self)
        self._attributes: dict[tuple[ClassRef, str], Kind | None] = {}
        self._assignments: dict[ClassRef, dict[str, list[tuple[ast.expr, Scope]]]] = {}

    # -- names ------------------------------------------------------------------------------------
    def name(self, name: str, scope: Scope, depth: int = 0) -> Kind | None:
        current: Scope | None = scope
        while current is not None:
            bindings = current.bindings.get(name)
            if bindings:
                if isinstance(current.node, ast.Module):
                    return self.global_name(current.module, name, depth)
                return self._local(current, name, bindings)
            current = current.parent
            # Class bodies are not enclosing scopes of their methods.
            while current is not None and isinstance(current.node, ast.ClassDef):
                current = current.parent
        return None

    def _local(self, scope: Scope, name: str, bindings: list[Binding]) -> Kind | None:
        """A function's local name, memoised per function (`q = q.filter(...)` chains stay linear)."""
        key = (id(scope.node), name)
        if key in self._locals:
            return self._locals[key]
        self._locals[key] = None  # a name defined through itself is unknown
        kind = self.agree([self.binding(b, scope, 0) for b in bindings])
        self._locals[key] = kind
        return kind

    def global_name(self, module: Module, name: str, depth: int = 0) -> Kind | None:
        key = (module.path, name)
        if key in self._globals:
            return self._globals[key]
        if key in self._active:
            return None
        self._active.add(key)
        try:
            # Memoised: resolved from depth 0 (the cycle guard bounds it), so no caller's depth limit
            # is ever cached as the name's meaning.
            scope = Scope(self.project, module, module.tree, None)
            bindings = module.bindings.get(name, [])
            kind = self.agree([self.binding(b, scope, 0) for b in bindings]) if bindings else None
        finally:
            self._active.discard(key)
        self._globals[key] = kind
        return kind

    def binding(self, binding: Binding, scope: Scope, depth: int) -> Kind | None:
        if depth > MAX_DEPTH or isinstance(binding, Unknown):
            return None
        if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
            owner = scope.node if isinstance(scope.node, ast.ClassDef) else None
            return Kind(Tag.FUNCTION, FunctionRef(scope.module.path, _qualname(scope, binding.name), binding, owner))
        if isinstance(binding, ast.ClassDef):
            return Kind(Tag.CLASS, ClassRef(scope.module.path, _qualname(scope, binding.name), binding))
        if isinstance(binding, Imported):
            return self.fqn(binding.fqn, scope.module, depth + 1)
        if isinstance(binding, ModuleRef):
            module = self.project.module_named(binding.fqn, scope.module.path)
            return Kind(Tag.MODULE, module) if module is not None else Kind(Tag.EXTERNAL, binding.fqn)
        if isinstance(binding, Entered):
            return self.entered(self.expr(binding.context, scope, depth + 1), binding.asynchronous)
        if isinstance(binding, Unpacked):
            return self.unpacked(binding, scope, depth + 1)
        if isinstance(binding, Declared):
            return self.annotation(binding.annotation, scope, depth + 1)
        if isinstance(binding, Parameter):
            return self.parameter(binding, scope, depth + 1)
        if isinstance(binding, ast.expr):
            return self.expr(binding, scope, depth + 1)
        return None

    def fqn(self, fqn: str, origin: Module, depth: int) -> Kind | None:
        if fqn in ("asyncio.run", "anyio.run", "trio.run"):
            return Kind(Tag.LOOP_DRIVER)
        parts = fqn.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.project.module_named(".".join(parts[:cut]), origin.path)
            if module is None:
                continue
            kind: Kind | None = Kind(Tag.MODULE, module)
            for attribute in parts[cut:]:
                kind = self.member(kind, attribute, depth + 1)
            return kind
        return Kind(Tag.EXTERNAL, fqn)

    def defined_in(self, node: ast.expr, scope: Scope) -> str | None:
        """The file that defines what a name (or `module.name`) refers to, when another module does."""
        if isinstance(node, ast.Attribute):
            owner = self.expr(node.value, scope)
            if owner is not None and owner.tag is Tag.MODULE and node.attr in owner.ref.bindings:
                return self.defined_in(ast.Name(id=node.attr), Scope(self.project, owner.ref, owner.ref.tree, None))
            return None
        if not isinstance(node, ast.Name):
            return None
        current: Scope | None = scope
        while current is not None and node.id not in current.bindings:
            current = current.parent
        if current is None:
            return None
        imported = [b for b in current.bindings[node.id] if isinstance(b, Imported)]
        if len(imported) != 1:
            return current.module.path
        owner, _, name = imported[0].fqn.rpartition(".")
        module = self.project.module_named(owner, current.module.path)
        if module is None:
            return None
        return self.defined_in(ast.Name(id=name), Scope(self.project, module, module.tree, None))
