"""Resolving a symbolic expression (`Expr`) against the whole repository to an entity (RepoIndex)."""

from __future__ import annotations

from .entities import MAPPING_LOOKUPS, MAX_RESOLVE_DEPTH, SELF_TYPES, SESSION_CLASS_SIDES, SESSION_FACTORY_SIDES, Entity
from .facts import PROPERTY_DECORATORS, TYPEVARS, Expr


class _Resolution:
    """Resolving a symbolic expression (`Expr`) against the whole repository to an entity (RepoIndex)."""

    # -- resolution -------------------------------------------------------------------------------
    def resolve(self, expr: Expr | None, origin: str, depth: int = 0) -> Entity | None:
        if expr is None or depth > MAX_RESOLVE_DEPTH:
            return None
        kind = expr[0]
        depth += 1
        if kind == "name":
            return self.lookup(expr[1], origin, depth)
        if kind == "def":
            return ("function", expr[1], expr[2]) if self.function((expr[1], expr[2])) is not None else None
        if kind == "class":
            return ("class", expr[1], expr[2]) if self.cls(expr[1], expr[2]) is not None else None
        if kind in ("self", "cls"):
            return ("instance" if kind == "self" else "class", expr[1], expr[2])
        if kind == "super":
            return ("super", expr[1], expr[2])
        if kind == "call":
            return self.called(self.resolve(expr[1], origin, depth), depth)
        if kind == "attr":
            return self.member(self.resolve(expr[1], origin, depth), expr[2], depth)
        if kind == "inst":
            target = self.resolve(expr[1], origin, depth)
            return ("instance", target[1], target[2]) if target is not None and target[0] == "class" else None
        if kind == "list":
            inner = self.resolve(expr[1], origin, depth)
            return ("list", inner) if inner is not None else None
        if kind == "elem":
            inner = self.resolve(expr[1], origin, depth)
            if inner is not None and inner[0] == "class" and self._type_parameters(inner[1], inner[2]):
                return inner  # `HttpRepo[Schema, Out](...)`: a generic class parametrised is still that class
            subscript = len(expr) > 2
            if inner is not None and inner[0] == "tuple" and subscript and expr[2] is not None:
                positions = inner[1]
                return positions[expr[2]] if -len(positions) <= expr[2] < len(positions) else None
            if inner is not None and inner[0] == "map":
                return inner[1] if subscript else None  # `table[key]` a value; a loop over it, the keys
            return inner[1] if inner is not None and inner[0] == "list" else None
        if kind == "map":
            inner = self.resolve(expr[1], origin, depth)
            return ("map", inner) if inner is not None else None
        if kind == "tuple":
            return ("tuple", tuple(self.resolve(position, origin, depth) for position in expr[1]))
        if kind == "either":
            return self.resolve(expr[1], origin, depth) or self.resolve(expr[2], origin, depth)
        if kind == "enter":
            entered = self.resolve(expr[1], origin, depth)
            # A generator context manager (`-> Iterator[Repos]`, `-> Generator[Repos, None, None]`) hands out
            # what it yields, one element of what its annotation reads as a collection.
            return entered[1] if entered is not None and entered[0] == "list" else entered
        if kind == "fixture":
            fixture = self.fixture(expr[1], expr[2])
            if fixture is None:
                return None
            facts = self.function(fixture)
            return self.resolve(facts.value, fixture[0], depth) if facts is not None else None
        return None

    def session_side(self, expr: Expr | None, origin: str, depth: int = 0) -> str | None:
        """"sync" or "async": the kind of session a value is, when it visibly comes from one of SQLAlchemy's
        factories after the run (`with self.session_maker() as session:` where `session_maker =
        sessionmaker(bind=self.engine)`), followed through locals, module names and class attributes."""
        if expr is None or depth > MAX_RESOLVE_DEPTH:
            return None
        if expr[0] == "enter":
            yielded = self._yielded_by(expr[1], origin, depth)
            if yielded is not None:
                return self.session_side(yielded[1], yielded[0], depth + 1)
            return self.session_side(expr[1], origin, depth + 1)
        if expr[0] != "call" or expr[1] is None:
            return None
        called = expr[1]
        if called[0] == "name" and called[1] in SESSION_CLASS_SIDES:
            return SESSION_CLASS_SIDES[called[1]]
        factory = self._binding_of(called, origin)
        if factory is not None and factory[0] == "call" and factory[1] is not None and factory[1][0] == "name":
            return SESSION_FACTORY_SIDES.get(factory[1][1])
        return None

    def _yielded_by(self, expr: Expr, origin: str, depth: int) -> tuple[str, Expr] | None:
        """What the project's `@contextmanager` generator that `expr` calls yields (`with get_session() as s:`),
        with the file that says it."""
        if expr[0] != "call" or expr[1] is None:
            return None
        entity = self.resolve(expr[1], origin, depth + 1)
        if entity is None or entity[0] != "function":
            return None
        facts = self.function((entity[1], entity[2]))
        if facts is None or facts.role != "contextmanager" or facts.value is None:
            return None
        return entity[1], facts.value

    def _binding_of(self, expr: Expr, origin: str) -> Expr | None:
        """What a module name or a class attribute (`self.session_maker`) is bound to."""
        if expr[0] == "attr" and expr[1] is not None and expr[1][0] in ("self", "cls"):
            for path, qualname in self.mro(expr[1][1], expr[1][2]):
                attributes = self.cls(path, qualname).attributes
                if expr[2] in attributes:
                    return attributes[expr[2]]
            return None
        if expr[0] == "name":
            module, _, name = expr[1].rpartition(".")
            path = self.module_path(module, origin) if module else None
            if path is not None:
                return self.files[path].facts.names.get(name)
        return None

    def lookup(self, fqn: str, origin: str, depth: int) -> Entity | None:
        parts = fqn.split(".")
        if parts[0] == "builtins":
            return None
        for cut in range(len(parts), 0, -1):
            path = self.module_path(".".join(parts[:cut]), origin)
            if path is None:
                continue
            entity: Entity | None = ("module", path)
            for attribute in parts[cut:]:
                entity = self.member(entity, attribute, depth)
                if entity is None:
                    return None
            return entity
        return None

    def called(self, entity: Entity | None, depth: int) -> Entity | None:
        """What calling `entity` returns: an instance for a class, the annotated type for a function."""
        if entity is None:
            return None
        if entity[0] == "map method":
            return entity[1]
        if entity[0] == "class":
            return ("instance", entity[1], entity[2])
        if entity[0] == "function":
            facts = self.function((entity[1], entity[2]))
            if facts is None:
                return None
            receiver = entity[3] if len(entity) > 3 else None
            if facts.returns in SELF_TYPES and facts.class_qualname is not None:
                # `def by_user(self, ...) -> Self`: the instance it is called on (else one of its own class).
                return ("instance", *(receiver or (entity[1], facts.class_qualname)))
            bound = self._type_argument(facts.returns, entity[1], receiver, depth) if receiver else None
            return bound or self.resolve(facts.returns, entity[1], depth)
        return None

    def _type_argument(self, returns: Expr | None, path: str, receiver, depth: int) -> Entity | None:
        """`-> ModelType` on a method of `BaseRepository(Generic[ModelType])` called on a
        `UserRepository(BaseRepository[User])`: an instance of User."""
        if returns is None or returns[0] not in ("inst", "list") or returns[1] is None:
            return None
        inner = returns[1] if returns[0] == "inst" else returns[1][1] if returns[1][0] == "inst" else None
        if inner is None or inner[0] != "name" or not self._is_typevar(inner[1], path):
            return None
        for cls_path, qualname in self.mro(*receiver):
            facts = self.cls(cls_path, qualname)
            for base, arguments in zip(facts.bases, facts.base_arguments):
                target = self.resolve(base, cls_path, depth + 1)
                if target is None or target[0] != "class" or not arguments:
                    continue
                parameters = self._type_parameters(target[1], target[2])
                for parameter, argument in zip(parameters, arguments):
                    if parameter == inner[1]:
                        found = self.resolve(("inst", argument), cls_path, depth + 1) if argument else None
                        return ("list", found) if found is not None and returns[0] == "list" else found
        return None

    def _type_parameters(self, path: str, qualname: str) -> list[str]:
        """The TypeVars a generic class is parametrised by, from its `Generic[...]`-style base."""
        facts = self.cls(path, qualname)
        for arguments in facts.base_arguments:
            names = [a[1] for a in arguments if a is not None and a[0] == "name" and self._is_typevar(a[1], path)]
            if names:
                return names
        return []

    def _is_typevar(self, fqn: str, origin: str) -> bool:
        module, _, name = fqn.rpartition(".")
        path = self.module_path(module, origin)
        binding = self.files[path].facts.names.get(name) if path is not None else None
        return binding in TYPEVARS

    def member(self, entity: Entity | None, name: str, depth: int) -> Entity | None:
        if entity is None or depth > MAX_RESOLVE_DEPTH:
            return None
        kind = entity[0]
        if kind == "module":
            summary = self.files[entity[1]]
            binding = summary.facts.names.get(name)
            if binding is not None:
                return self.resolve(binding, entity[1], depth + 1)
            if f"{summary.location.module}.{name}" in self.modules:
                return self.lookup(f"{summary.location.module}.{name}", entity[1], depth + 1)
            # `from .base_controllers import *`: the name may come from any module it re-exports.
            return next((found for star in summary.facts.star_imports
                         if (found := self.lookup(f"{star}.{name}", entity[1], depth + 1)) is not None), None)
        if kind == "map":
            # `table.get(key)`, `.pop(key)`, `.setdefault(key, ...)` give one of its values, `.values()` them all.
            if name in MAPPING_LOOKUPS:
                return ("map method", entity[1])
            return ("map method", ("list", entity[1])) if name == "values" else None
        if kind in ("class", "instance", "super"):
            for path, qualname in self.mro(entity[1], entity[2], skip_self=kind == "super"):
                facts = self.cls(path, qualname)
                if name in facts.methods:
                    receiver = (entity[1], entity[2]) if kind == "instance" else None
                    method = ("function", path, facts.methods[name], receiver)
                    getter = self.function((path, facts.methods[name]))
                    if receiver is not None and getter is not None and set(getter.decorators) & PROPERTY_DECORATORS:
                        # Read on an instance, a property gives what its getter returns (`repos.users.get_one()`).
                        return self.called(method, depth + 1)
                    return method
                if name in facts.relationships:
                    relationship = facts.relationships[name]
                    target = self.resolve(relationship.target, path, depth + 1)
                    if target is None or target[0] != "class":
                        return None
                    instance = ("instance", target[1], target[2])
                    return ("list", instance) if relationship.collection else instance
                if name in facts.attributes:
                    return self.resolve(facts.attributes[name], path, depth + 1)
            return None
        return None
