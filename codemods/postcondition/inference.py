"""Inference over one project: what a name, an attribute, a call or an annotation holds (kinds.py).

Module-level names, function locals, instance attributes and return values are memoised, each resolved from
depth 0 with a guard against cycles, so a chain of reassignments (`q = q.filter(...)`) costs one pass, not one
per path.
"""

from __future__ import annotations

import ast

from .kinds import (
    ASYNC_SIDE,
    CONTEXT_METHODS,
    SESSIONS,
    SYNC_SIDE,
    ClassRef,
    FunctionRef,
    Kind,
    Parameter,
    Scope,
    Tag,
    external_name,
    own_nodes,
    sqlalchemy_name,
)
from .locators import Locators
from .project import Binding, Declared, Entered, Imported, Module, ModuleRef, Project, Unknown, Unpacked

# `compat.adopt_session(session)`: an AsyncSession over a sync session that sync code goes on sharing.
ADOPT_SESSION = ("sqlasync.compat.adopt_session", "sqlasync.compat.adopted.adopt_session")
# `compat.sync_session_from(SessionLocal)`: a sync Session on the sync twin of an async factory's engine.
SYNC_SESSION_FROM = ("sqlasync.compat.sync_session_from", "sqlasync.compat.sync_twin.sync_session_from")
# How deep one expression is followed before memoised names take over (a guard, not a limit in practice).
MAX_DEPTH = 40


class Inference:
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

    # -- expressions ------------------------------------------------------------------------------
    def expr(self, node: ast.expr, scope: Scope, depth: int = 0) -> Kind | None:
        if depth > MAX_DEPTH:
            return None
        depth += 1
        if isinstance(node, ast.Name):
            return self.name(node.id, scope, depth)
        if isinstance(node, ast.Attribute):
            if node.attr == "run_until_complete":
                return Kind(Tag.LOOP_DRIVER)
            if isinstance(node.value, ast.Name) and node.value.id == "self" and scope.owner is not None:
                attribute = self.instance_attribute(scope.owner, node.attr, depth)
                if attribute is not None:
                    return attribute
            owner = self.expr(node.value, scope, depth)
            if owner is not None and owner.tag is Tag.MAPPING:
                return Kind(Tag.MAPPING_LOOKUP, owner.ref) if node.attr in ("get", "pop", "setdefault") else None
            return self.member(owner, node.attr, depth)
        if isinstance(node, ast.Call):
            return self.call(node, scope, depth)
        if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Call):
            # `lambda coro: loop.run_until_complete(coro)` drives the loop as much as the method does.
            inner = self.expr(node.body.func, scope, depth)
            return inner if inner is not None and inner.tag is Tag.LOOP_DRIVER else None
        if isinstance(node, ast.Await):
            inner = node.value
            if isinstance(inner, ast.Call):
                callee = self.expr(inner.func, scope, depth)
                if callee is not None and callee.tag is Tag.FUNCTION and callee.ref.is_async:
                    return self.returns(callee.ref, depth)
            return None
        if isinstance(node, ast.IfExp):
            return self.agree([self.expr(node.body, scope, depth), self.expr(node.orelse, scope, depth)])
        if isinstance(node, ast.Subscript):
            # `HttpRepo[Schema, Out]`: a project class parametrised is still that class (a class subscripted
            # otherwise, an Enum's `Color["RED"]`, is not followed).
            inner = self.expr(node.value, scope, depth)
            if inner is not None and inner.tag is Tag.CLASS and _is_generic(inner.ref.node):
                return inner
            if inner is not None and inner.tag is Tag.TUPLE:
                return _position(inner, _literal_index(node.slice))
            if inner is not None and inner.tag is Tag.MAPPING:
                return inner.ref
        return None

    def call(self, node: ast.Call, scope: Scope, depth: int) -> Kind | None:
        # `Container.resolve("db_session")`: the locator's own `resolve` returns Any; its registrations do not.
        resolved = self.locators.resolved(node, scope, depth)
        if resolved is not None:
            return resolved
        callee = self.expr(node.func, scope, depth)
        if callee is None:
            return None
        name = sqlalchemy_name(callee)
        if name is not None:
            return _sqlalchemy_call(name, node, lambda n: self.expr(n, scope, depth))
        if external_name(callee) in ("flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"):
            return Kind(Tag.FLASK_SQLALCHEMY)
        if external_name(callee) in ADOPT_SESSION:
            return Kind(Tag.ASYNC_SESSION)
        if external_name(callee) in SYNC_SESSION_FROM:
            return Kind(Tag.SYNC_SESSION)
        if callee.tag is Tag.MAPPING_LOOKUP:
            return callee.ref
        if callee.tag is Tag.ASYNC_FACTORY:
            return Kind(Tag.ASYNC_SESSION)
        if callee.tag is Tag.SYNC_FACTORY:
            return Kind(Tag.SYNC_SESSION)
        if callee.tag is Tag.CLASS:
            return Kind(Tag.INSTANCE, callee.ref)
        if callee.tag is Tag.FUNCTION:
            function: FunctionRef = callee.ref
            manager = self._context_manager_side(function)
            if manager is not None:
                return Kind(Tag.ASYNC_CONTEXT if manager == "async" else Tag.SYNC_CONTEXT, function)
            if function.is_async and not function.is_generator:
                return Kind(Tag.COROUTINE, function)
            if (function.module, function.qualname) in self.coroutine_returning:
                return Kind(Tag.COROUTINE, function)
            if function.is_generator:
                return None
            return self.returns(function, depth)
        if callee.tag is Tag.EXTERNAL and isinstance(callee.ref, tuple) and callee.ref[0] == "method":
            _, receiver, method = callee.ref
            if method in CONTEXT_METHODS.get(receiver.tag, ()):
                return Kind(Tag.ASYNC_CONTEXT if receiver.side == "async" else Tag.SYNC_CONTEXT, receiver)
        return None

    def member(self, kind: Kind | None, attribute: str, depth: int) -> Kind | None:
        if kind is None or depth > MAX_DEPTH:
            return None
        if external_name(kind) in ("asyncio", "anyio", "trio") and attribute == "run":
            return Kind(Tag.LOOP_DRIVER)
        if kind.tag is Tag.MODULE:
            module: Module = kind.ref
            if attribute in module.bindings:
                return self.global_name(module, attribute, depth + 1)
            submodule = self.project.module_named(f"{module.name}.{attribute}", module.path)
            return Kind(Tag.MODULE, submodule) if submodule is not None else None
        if kind.tag in (Tag.CLASS, Tag.INSTANCE):
            found = self.class_member(kind.ref, attribute, depth)
            if found is None and kind.tag is Tag.INSTANCE:
                return self.instance_attribute(kind.ref, attribute, depth)
            return found
        if kind.tag is Tag.EXTERNAL and isinstance(kind.ref, str):
            return Kind(Tag.EXTERNAL, f"{kind.ref}.{attribute}")
        if kind.tag is Tag.ASYNC_SESSION and attribute == "sync_session":
            return Kind(Tag.SYNC_SESSION)
        if kind.tag is Tag.FLASK_SQLALCHEMY and attribute == "session":
            # Flask-SQLAlchemy's scoped session proxies a sync Session (the extension has no async one).
            return Kind(Tag.SYNC_SESSION)
        if kind.tag in ASYNC_SIDE or kind.tag in SYNC_SIDE:
            # A method of a session/engine/connection: called, it may be awaitable or a context manager.
            return Kind(Tag.EXTERNAL, ("method", kind, attribute))
        return None

    def class_member(self, cls: ClassRef, attribute: str, depth: int) -> Kind | None:
        for base in self.mro(cls, depth):
            for statement in base.node.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == attribute:
                    function = FunctionRef(base.module, f"{base.qualname}.{attribute}", statement, base.node)
                    if any(_decorator_name(d) in ("property", "cached_property") for d in statement.decorator_list):
                        # Read, a sync getter gives what it returns (`repos.users.get_one(...)`).
                        return None if isinstance(statement, ast.AsyncFunctionDef) else self.returns(function, depth)
                    return Kind(Tag.FUNCTION, function)
        return None

    def instance_attribute(self, cls: ClassRef, attribute: str, depth: int) -> Kind | None:
        """`self.attribute` as the methods of the class assign it, or else those of the first base class that
        does (a test case whose base's `__init__` keeps the repositories it is handed)."""
        for owner in self.mro(cls, depth):
            kind = self._assigned_attribute(owner, attribute)
            if kind is not None:
                return kind
        return None

    def _assigned_attribute(self, cls: ClassRef, attribute: str) -> Kind | None:
        """`self.attribute` as the class's own methods assign it (all assignments must agree).

        Memoised per class and attribute, resolved from depth 0 like a local name: a model whose methods read
        `self.x` that other methods assign from `self.y` would otherwise walk every method once per path."""
        key = (cls, attribute)
        if key in self._attributes:
            return self._attributes[key]
        self._attributes[key] = None  # an attribute assigned through itself is unknown
        assigned = self._self_assignments(cls).get(attribute, [])
        kind = self.agree([self.expr(value, scope, 0) for value, scope in assigned]) if assigned else None
        self._attributes[key] = kind
        return kind

    def _self_assignments(self, cls: ClassRef) -> dict[str, list[tuple[ast.expr, Scope]]]:
        """Each `self.attribute = value` in the class's own methods, by attribute, with the method's scope:
        one walk of the class, however many attributes are asked for."""
        if cls in self._assignments:
            return self._assignments[cls]
        table: dict[str, list[tuple[ast.expr, Scope]]] = {}
        self._assignments[cls] = table
        module = self.project.modules.get(cls.module)
        if module is None:
            return table
        module_scope = Scope(self.project, module, module.tree, None)
        for statement in cls.node.body:
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            method_scope: Scope | None = None
            for node in own_nodes(statement):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                    node, ast.AnnAssign) and node.value is not None else []
                for target in targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        method_scope = method_scope or Scope(self.project, module, statement, module_scope, cls,
                                                             f"{cls.qualname}.{statement.name}")
                        table.setdefault(target.attr, []).append((node.value, method_scope))
        return table

    def mro(self, cls: ClassRef, depth: int) -> list[ClassRef]:
        order, queue = [], [cls]
        module = self.project.modules.get(cls.module)
        while queue and len(order) < 16:
            current = queue.pop(0)
            if current in order:
                continue
            order.append(current)
            current_module = self.project.modules.get(current.module) or module
            scope = Scope(self.project, current_module, current_module.tree, None)
            for base in current.node.bases:
                kind = self.expr(base, scope, depth + 1)
                if kind is not None and kind.tag is Tag.CLASS:
                    queue.append(kind.ref)
        return order

    # -- functions --------------------------------------------------------------------------------
    def returns(self, function: FunctionRef, depth: int) -> Kind | None:
        """The kind a call of `function` evaluates to (after `await` for an async one)."""
        if function in self._returns:
            return self._returns[function]
        self._returns[function] = None  # cycles resolve to unknown
        if function.module not in self.project.modules:
            return None
        scope = self.scope_of(function)
        annotation = self.annotation(function.node.returns, scope, 0) if function.node.returns else None
        if function.owner is not None and function.node.returns is not None and \
                _leaf(function.node.returns) == "Self":
            # `-> Self`: an instance of the method's class (the receiver's own class may be a subclass of it).
            annotation = Kind(Tag.INSTANCE, ClassRef(function.module, function.qualname.rpartition(".")[0],
                                                     function.owner))
        values = [n.value for n in own_nodes(function.node) if isinstance(n, ast.Return) and n.value is not None]
        kind = annotation or (self.agree([self.expr(v, scope, 0) for v in values]) if values else None)
        self._returns[function] = kind
        return kind

    def unpacked(self, binding: Unpacked, scope: Scope, depth: int) -> Kind | None:
        """One element of a tuple literal, of a value annotated `tuple[A, B]`, or of the tuples a project function
        returns (`a, b = make()`)."""
        if isinstance(binding.value, (ast.Tuple, ast.List)):
            elements = binding.value.elts
            return self.expr(elements[binding.index], scope, depth) if binding.index < len(elements) else None
        if not isinstance(binding.value, ast.Call):
            whole = self.expr(binding.value, scope, depth)
            return _position(whole, binding.index) if whole is not None and whole.tag is Tag.TUPLE else None
        callee = self.expr(binding.value.func, scope, depth)
        if callee is None or callee.tag is not Tag.FUNCTION or callee.ref.module not in self.project.modules:
            return None
        function = callee.ref
        inner = self.scope_of(function)
        returned = [n.value for n in own_nodes(function.node) if isinstance(n, ast.Return) and n.value is not None]
        if not returned or not all(isinstance(v, ast.Tuple) and binding.index < len(v.elts) for v in returned):
            return None
        return self.agree([self.expr(v.elts[binding.index], inner, depth) for v in returned])

    def yields(self, function: FunctionRef, depth: int = 0) -> Kind | None:
        """What a generator (a FastAPI dependency, a pytest fixture) hands out; else what it returns."""
        if not function.is_generator:
            return self.returns(function, depth)
        scope = self.scope_of(function)
        values = [n.value for n in own_nodes(function.node) if isinstance(n, ast.Yield) and n.value is not None]
        return self.agree([self.expr(v, scope, depth + 1) for v in values]) if values else None

    def scope_of(self, function: FunctionRef) -> Scope:
        module = self.project.modules[function.module]
        module_scope = Scope(self.project, module, module.tree, None)
        owner = None
        if function.owner is not None:
            owner = ClassRef(function.module, function.qualname.rpartition(".")[0], function.owner)
        return Scope(self.project, module, function.node, module_scope, owner, function.qualname)

    def parameter(self, parameter: Parameter, scope: Scope, depth: int) -> Kind | None:
        """A parameter's kind: what its FastAPI dependency or pytest fixture provides, else its annotation."""
        provided = self.provided(parameter, scope, depth)
        if provided is not None:
            return provided
        if parameter.argument.annotation is not None:
            return self.annotation(parameter.argument.annotation, scope, depth)
        if parameter.argument.arg == "self" and scope.owner is not None:
            return Kind(Tag.INSTANCE, scope.owner)
        return None

    def provided(self, parameter: Parameter, scope: Scope, depth: int) -> Kind | None:
        provider = self.dependency(parameter, scope, depth)
        if provider is None and parameter.argument.annotation is None:
            provider = self.fixture(parameter.argument.arg, scope)
        if provider is None:
            return None
        return self.yields(provider, depth + 1)

    def dependency(self, parameter: Parameter, scope: Scope, depth: int) -> FunctionRef | None:
        """The function behind `= Depends(f)` or `Annotated[T, Depends(f)]`."""
        default = _default_of(parameter)
        candidates = [default] if default is not None else []
        annotation = parameter.argument.annotation
        if annotation is not None:
            candidates.extend(self._annotated_metadata(annotation, scope, depth))
        for candidate in candidates:
            if isinstance(candidate, ast.Call) and _leaf(candidate.func) == "Depends" and candidate.args:
                kind = self.expr(candidate.args[0], scope, depth + 1)
                if kind is not None and kind.tag is Tag.FUNCTION:
                    return kind.ref
        return None

    def _annotated_metadata(self, annotation: ast.expr, scope: Scope, depth: int) -> list[ast.expr]:
        if isinstance(annotation, ast.Subscript) and _leaf(annotation.value) == "Annotated":
            elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
            return list(elements[1:])
        if isinstance(annotation, ast.Name) and depth < MAX_DEPTH:
            alias = self._alias(annotation.id, scope)
            if alias is not None:
                return self._annotated_metadata(alias[0], alias[1], depth + 1)
        return []

    def _alias(self, name: str, scope: Scope, wanted=lambda binding: isinstance(binding, ast.Subscript)
               ) -> tuple[ast.expr, Scope] | None:
        """A module-level `Alias = Annotated[...]` (or another `wanted` binding), followed through imports."""
        module = scope.module
        for _ in range(MAX_DEPTH):
            bindings = module.bindings.get(name, [])
            if len(bindings) != 1:
                return None
            binding = bindings[0]
            if wanted(binding):
                return binding, Scope(self.project, module, module.tree, None)
            if not isinstance(binding, Imported):
                return None
            owner, _, name = binding.fqn.rpartition(".")
            target = self.project.module_named(owner, module.path)
            if target is None:
                return None
            module = target
        return None

    def _typevar_bound(self, node: ast.expr, scope: Scope, depth: int) -> ClassRef | None:
        """`T` of a module-level `T = TypeVar("T", bound=Base)`: Base, when it is a class of the project."""
        found = self._alias(node.id, scope, _is_typevar) if isinstance(node, ast.Name) else None
        if found is None:
            return None
        declaration, module_scope = found
        bound = next((keyword.value for keyword in declaration.keywords if keyword.arg == "bound"), None)
        kind = self.annotation(bound, module_scope, depth + 1) if bound is not None else None
        return kind.ref if kind is not None and kind.tag is Tag.INSTANCE else None

    # -- constructors -----------------------------------------------------------------------------
    def constructors(self, kind: Kind) -> list[FunctionRef]:
        """The project `__init__` methods a call of a class (CLASS) or of any subclass of one (SUBCLASS_OF) runs."""
        classes = [kind.ref] if kind.tag is Tag.CLASS else [kind.ref, *self._subclasses().get(kind.ref, [])]
        found = []
        for cls in classes:
            init = next(self._own_constructors(cls), None)
            if init is not None and init not in found:
                found.append(init)
        return found

    def _own_constructors(self, cls: ClassRef):
        for base in self.mro(cls, 0):
            for statement in base.node.body:
                if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
                    yield FunctionRef(base.module, f"{base.qualname}.__init__", statement, base.node)

    def _subclasses(self) -> dict[ClassRef, list[ClassRef]]:
        """Every module-level class of the project under each project class it inherits from."""
        if self._subclass_table is None:
            self._subclass_table = {}
            for module in self.project.modules.values():
                for statement in module.tree.body:
                    if isinstance(statement, ast.ClassDef):
                        cls = ClassRef(module.path, statement.name, statement)
                        for base in self.mro(cls, 0)[1:]:
                            self._subclass_table.setdefault(base, []).append(cls)
        return self._subclass_table

    def fixture(self, name: str, scope: Scope) -> FunctionRef | None:
        """The pytest fixture a test or fixture parameter named `name` receives."""
        function = scope.node
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        if not (function.name.startswith("test") or _is_fixture(function)):
            return None
        for module in (scope.module, *self.project.conftests_for(scope.module.path)):
            for statement in module.tree.body:
                if (isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_fixture(statement)
                        and _fixture_name(statement) == name):
                    return FunctionRef(module.path, statement.name, statement)
        return None

    def annotation(self, node: ast.expr, scope: Scope, depth: int) -> Kind | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.Subscript):
            head = _leaf(node.value)
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head in ("Annotated", "Optional") and elements:
                return self.annotation(elements[0], scope, depth + 1)
            if head in ("AsyncIterator", "AsyncGenerator", "Iterator", "Generator") and elements:
                return self.annotation(elements[0], scope, depth + 1)
            if head in ("dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict", "OrderedDict") \
                    and len(elements) == 2:
                values = self.annotation(elements[1], scope, depth + 1)
                return Kind(Tag.MAPPING, values) if values is not None else None
            if head in ("tuple", "Tuple") and len(elements) > 1 and not any(
                    isinstance(e, ast.Constant) and e.value is Ellipsis for e in elements):
                positions = tuple(self.annotation(e, scope, depth + 1) for e in elements)
                return Kind(Tag.TUPLE, positions) if any(positions) else None
            if head == "type" and len(elements) == 1:
                bound = self._typevar_bound(elements[0], scope, depth + 1)
                if bound is not None:
                    return Kind(Tag.SUBCLASS_OF, bound)
                inner = self.annotation(elements[0], scope, depth + 1)
                return Kind(Tag.CLASS, inner.ref) if inner is not None and inner.tag is Tag.INSTANCE else None
            # A parametrised generic class of the project (`GroupRepository[Schema, Model]`): an instance of it.
            generic = self.expr(node.value, scope, depth + 1)
            return Kind(Tag.INSTANCE, generic.ref) if generic is not None and generic.tag is Tag.CLASS else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            kinds = [self.annotation(side, scope, depth + 1) for side in (node.left, node.right)]
            kinds = [k for k in kinds if k is not None]
            return kinds[0] if len(kinds) == 1 else None
        if isinstance(node, ast.Name) and depth < MAX_DEPTH:
            alias = self._alias(node.id, scope)
            if alias is not None:
                return self.annotation(alias[0], alias[1], depth + 1)
        kind = self.expr(node, scope, depth + 1)
        name = sqlalchemy_name(kind)
        if name == "Session" and not self.trust_session_annotations:
            return None
        if name is not None:
            return {
                "AsyncSession": Kind(Tag.ASYNC_SESSION), "Session": Kind(Tag.SYNC_SESSION),
                "AsyncEngine": Kind(Tag.ASYNC_ENGINE), "Engine": Kind(Tag.SYNC_ENGINE),
                "AsyncConnection": Kind(Tag.ASYNC_CONNECTION), "Connection": Kind(Tag.SYNC_CONNECTION),
                "async_sessionmaker": Kind(Tag.ASYNC_FACTORY), "sessionmaker": Kind(Tag.SYNC_FACTORY),
            }.get(name)
        if kind is not None and kind.tag is Tag.CLASS:
            return Kind(Tag.INSTANCE, kind.ref)
        return None

    def _context_manager_side(self, function: FunctionRef) -> str | None:
        """"async" for an `@asynccontextmanager` generator, "sync" for a `@contextmanager` one."""
        if not function.is_generator or function.module not in self.project.modules:
            return None
        module = self.project.modules[function.module]
        scope = Scope(self.project, module, module.tree, None)
        for decorator in function.node.decorator_list:
            name = external_name(self.expr(decorator, scope))
            if name == "contextlib.asynccontextmanager":
                return "async"
            if name == "contextlib.contextmanager":
                return "sync"
        return None

    def entered(self, kind: Kind | None, asynchronous: bool) -> Kind | None:
        """What `with X as v` / `async with X as v` binds to v."""
        if kind is None:
            return None
        if kind.tag in SESSIONS:
            return kind
        if kind.tag in (Tag.ASYNC_CONTEXT, Tag.SYNC_CONTEXT) and isinstance(kind.ref, FunctionRef):
            return self.yields(kind.ref)  # what the context manager's generator yields
        if kind.tag in (Tag.ASYNC_CONTEXT, Tag.SYNC_CONTEXT):
            receiver: Kind = kind.ref
            if receiver.tag in (Tag.ASYNC_ENGINE, Tag.SYNC_ENGINE):
                return Kind(Tag.ASYNC_CONNECTION if receiver.side == "async" else Tag.SYNC_CONNECTION)
        return None

    @staticmethod
    def agree(kinds: list[Kind | None]) -> Kind | None:
        """One kind when every binding agrees; unknown otherwise."""
        if not kinds or any(k is None for k in kinds):
            return None
        first = kinds[0]
        return first if all(k == first for k in kinds[1:]) else None


def _sqlalchemy_call(name: str, node: ast.Call, infer) -> Kind | None:
    if name in ("async_sessionmaker", "async_scoped_session"):
        return Kind(Tag.ASYNC_FACTORY)
    if name == "scoped_session":
        # A registry of the factory it wraps: calling it gives that factory's session.
        inner = infer(node.args[0]) if node.args else None
        return inner if inner is not None and inner.tag in (Tag.SYNC_FACTORY, Tag.ASYNC_FACTORY) else None
    if name == "sessionmaker":
        class_ = next((k.value for k in node.keywords if k.arg == "class_"), None)
        if class_ is not None and sqlalchemy_name(infer(class_)) == "AsyncSession":
            return Kind(Tag.ASYNC_FACTORY)
        return Kind(Tag.SYNC_FACTORY)
    if name in ("create_async_engine", "async_engine_from_config"):
        return Kind(Tag.ASYNC_ENGINE)
    if name in ("create_engine", "engine_from_config"):
        return Kind(Tag.SYNC_ENGINE)
    if name == "AsyncSession":
        return Kind(Tag.ASYNC_SESSION)
    if name == "Session":
        return Kind(Tag.SYNC_SESSION)
    return None


def _qualname(scope: Scope, name: str) -> str:
    return f"{scope.qualname}.{name}" if scope.qualname else name


def _default_of(parameter: Parameter) -> ast.expr | None:
    arguments = parameter.function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if parameter.argument in positional:
        index = positional.index(parameter.argument) - (len(positional) - len(arguments.defaults))
        return arguments.defaults[index] if index >= 0 else None
    if parameter.argument in arguments.kwonlyargs:
        return arguments.kw_defaults[arguments.kwonlyargs.index(parameter.argument)]
    return None


def _literal_index(node: ast.expr) -> int | None:
    """The integer of `rows[2]` or `pair[-1]`, when the subscript is a literal."""
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    number = node.operand if negative else node
    if not isinstance(number, ast.Constant) or type(number.value) is not int:
        return None
    return -number.value if negative else number.value


def _position(whole: Kind, index: int | None) -> Kind | None:
    """The kind at `index` of a `tuple[...]` kind."""
    positions = whole.ref
    return positions[index] if index is not None and -len(positions) <= index < len(positions) else None


def _is_generic(cls: ast.ClassDef) -> bool:
    """Declared `Generic[...]` (or `Protocol[...]`) among its bases: subscripting it parametrises it."""
    return any(isinstance(base, ast.Subscript) and _leaf(base.value) in ("Generic", "Protocol") for base in cls.bases)


def _is_typevar(binding: object) -> bool:
    return isinstance(binding, ast.Call) and _leaf(binding.func) == "TypeVar"


def _leaf(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _decorator_name(node: ast.expr) -> str | None:
    return _leaf(node.func if isinstance(node, ast.Call) else node)


def _is_fixture(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_decorator_name(d) == "fixture" for d in function.decorator_list)


def _fixture_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and _decorator_name(decorator) == "fixture":
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return function.name
