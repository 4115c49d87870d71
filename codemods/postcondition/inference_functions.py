"""What a function returns or yields, what its parameters hold, and what constructors build (Inference)."""

from __future__ import annotations

import ast

from .inference_nodes import MAX_DEPTH, _default_of, _fixture_name, _is_fixture, _is_typevar, _leaf, _position
from .kinds import (SESSIONS, ClassRef, FunctionRef, Kind, Parameter, Scope, Tag, external_name, own_nodes,
                    sqlalchemy_name)
from .project import Imported, Unpacked


class _Functions:
    """What a function returns or yields, what its parameters hold, and what constructors build (Inference)."""

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
