"""What calling a class or a factory builds, and what its attributes hold (RepoIndex)."""

from __future__ import annotations

from .entities import MAX_RESOLVE_DEPTH, FunctionId
from .facts import TYPEVARS, Expr


class _Constructors:
    """What calling a class or a factory builds, and what its attributes hold (RepoIndex)."""

    # -- constructors -----------------------------------------------------------------------------
    def possible_callees(self, callee: Expr | None, origin: str) -> list[FunctionId]:
        """What a call that resolves to no single function may run, each with the wrappers its decorators put
        in its place: a class's constructor (the first `__init__` in its MRO); for a class known only as
        `type[T]` of a TypeVar bound to a repository class (`self.model(...)` in a generic repository), the
        constructor of the bound and of every subclass; for a method of an instance of such a TypeVar
        (`entry.update(...)` on the `-> Model` a generic method returns), that method of each of them."""
        entity = self.resolve(callee, origin)
        if entity is not None:
            found = [self._first_in_mro(entity[1], entity[2], "__init__")] if entity[0] == "class" else []
        elif callee is not None and callee[0] == "attr" and (bound := self.bound_instance(callee[1], origin)):
            found = [self._first_in_mro(*cls, callee[2]) for cls in (bound, *self.subclasses(*bound))]
        else:
            bound = self._bound_class(callee, origin, 0)
            found = [self._first_in_mro(*cls, "__init__") for cls in (bound, *self.subclasses(*bound))] if bound else []
            if not found:
                found = self.methods_of_unknown_receiver(callee, origin)
        return list(dict.fromkeys(function for first in found if first is not None
                                  for function in (first, *self.replaced_by(first))))

    def methods_of_unknown_receiver(self, callee: Expr | None, origin: str) -> list[FunctionId]:
        """`x.name(...)` on a receiver nothing types (`plugin.instance.fetch_events(...)` where `instance` is an
        unannotated property returning a registry entry): any method of that name the repository defines with a
        session parameter may run. Not for receivers the index knows (the method is then not the repository's) nor
        for names imported from outside the repository."""
        if callee is None or callee[0] != "attr" or callee[2].startswith("__"):
            return []
        receiver = callee[1]
        if receiver is None or self.resolve(receiver, origin) is not None or self._from_outside(receiver, origin):
            return []
        table = self.memo.get("methods_by_name")
        if table is None:
            table = {}
            for function, facts in self.functions():
                # (a method with no session parameter cannot be what a call handing it a session runs)
                if facts.class_qualname is not None and facts.qualname == f"{facts.class_qualname}.{facts.name}" \
                        and facts.takes_session:
                    table.setdefault(facts.name, []).append(function)
            self.memo["methods_by_name"] = table
        return table.get(callee[2], [])

    def _from_outside(self, expr: Expr, origin: str) -> bool:
        """Is `expr` rooted in a name that comes from outside the repository (`requests.get(...)`)?"""
        while expr is not None and expr[0] in ("attr", "call", "inst", "elem", "list"):
            expr = expr[1]
        if expr is None or expr[0] != "name":
            return False
        return self.lookup(expr[1], origin, 0) is None and self.module_path(expr[1].split(".")[0], origin) is None

    def replaced_by(self, function: FunctionId) -> list[FunctionId]:
        """The repository functions `function`'s decorators put in its place (`@auto_init()` returning the
        `wrapper` that runs instead of an `__init__`), outermost first."""
        facts = self.function(function)
        wrappers = []
        for decorator in facts.decorators if facts is not None else ():
            named = decorator.removesuffix("()")
            factory: Expr = ("name", named) if named == decorator else ("call", ("name", named))
            wrapper = self.resolve(("call", factory), function[0])
            if wrapper is not None and wrapper[0] == "function":
                wrappers.append((wrapper[1], wrapper[2]))
        return wrappers

    def replacing(self, wrapper: FunctionId) -> list[FunctionId]:
        """The functions whose decorators put `wrapper` in their place (see `replaced_by`), worked out once."""
        table = self.memo.get("replacing")
        if table is None:
            table = {}
            for function, facts in self.functions():
                for found in self.replaced_by(function) if facts.decorators else ():
                    table.setdefault(found, []).append(function)
            self.memo["replacing"] = table
        return table.get(wrapper, [])

    def bound_instance(self, expr: Expr | None, origin: str) -> tuple[str, str] | None:
        """The repository class bounding the TypeVar `expr` is an instance of (`self.model(...)`, a `-> Model`
        result): the value is an instance of it or of one of its subclasses."""
        return self._bound_instance(expr, origin, 0)

    def _bound_class(self, expr: Expr | None, origin: str, depth: int) -> tuple[str, str] | None:
        """The bound of the TypeVar `expr` names (through imports and instance attributes), as a class."""
        if expr is None or depth > MAX_RESOLVE_DEPTH:
            return None
        if expr[0] == "name":
            module, _, name = expr[1].rpartition(".")
            path = self.module_path(module, origin)
            facts = self.files[path].facts if path is not None else None
            binding = facts.names.get(name) if facts is not None else None
            if binding in TYPEVARS:
                bound = self.resolve(facts.typevar_bounds.get(name), path)
                return (bound[1], bound[2]) if bound is not None and bound[0] == "class" else None
            return self._bound_class(binding, path, depth + 1) if binding and binding[0] == "name" else None
        if expr[0] == "attr":
            held = self._attribute_of(expr, origin)
            return self._bound_class(held[0], held[1], depth + 1) if held is not None else None
        return None

    def _bound_instance(self, expr: Expr | None, origin: str, depth: int) -> tuple[str, str] | None:
        """The bound of the TypeVar `expr` is an instance of (`-> Model`, `self.model(...)`), as a class."""
        if expr is None or depth > MAX_RESOLVE_DEPTH:
            return None
        if expr[0] == "inst":
            return self._bound_class(expr[1], origin, depth + 1)
        if expr[0] == "either":
            return self._bound_instance(expr[1], origin, depth + 1) or self._bound_instance(expr[2], origin, depth + 1)
        if expr[0] == "elem" and expr[1] is not None and expr[1][0] == "list":
            return self._bound_instance(expr[1][1], origin, depth + 1)  # a row of `select(self.model)`
        if expr[0] == "attr":
            held = self._attribute_of(expr, origin)
            return self._bound_instance(held[0], held[1], depth + 1) if held is not None else None
        if expr[0] == "call":
            constructed = self._bound_class(expr[1], origin, depth + 1)
            if constructed is not None:
                return constructed
            function = self.resolve(expr[1], origin)
            if function is not None and function[0] == "function":
                facts = self.function((function[1], function[2]))
                return self._bound_instance(facts.returns, function[1], depth + 1) if facts is not None else None
        return None

    def _attribute_of(self, expr: Expr, origin: str) -> tuple[Expr, str] | None:
        """`("attr", receiver, name)` read on a repository instance or class: what the class assigns to it."""
        receiver = self.resolve(expr[1], origin)
        if receiver is None or receiver[0] not in ("instance", "class"):
            return None
        for path, qualname in self.mro(receiver[1], receiver[2]):
            facts = self.cls(path, qualname)
            if expr[2] in facts.methods:
                return None
            if expr[2] in facts.attributes:
                return facts.attributes[expr[2]], path
        return None

    def subclasses(self, path: str, qualname: str) -> list[tuple[str, str]]:
        """Every repository class that inherits from `qualname`, directly or not."""
        table = self.memo.get("subclasses")
        if table is None:
            table = {}
            for cls_path, summary in self.files.items():
                for cls_qualname in summary.facts.classes:
                    for ancestor in self.mro(cls_path, cls_qualname, skip_self=True):
                        table.setdefault(ancestor, []).append((cls_path, cls_qualname))
            self.memo["subclasses"] = table
        return table.get((path, qualname), [])

    def _first_in_mro(self, path: str, qualname: str, method: str) -> FunctionId | None:
        for cls_path, cls_qualname in self.mro(path, qualname):
            found = self.cls(cls_path, cls_qualname).methods.get(method)
            if found is not None:
                return (cls_path, found)
        return None

    def mro(self, path: str, qualname: str, skip_self: bool = False) -> list[FunctionId]:
        """The repository classes `qualname` inherits from, nearest first (depth-first approximation)."""
        order: list[FunctionId] = []
        stack = [(path, qualname)]
        while stack:
            current = stack.pop(0)
            if current in order:
                continue
            facts = self.cls(*current)
            if facts is None:
                continue
            order.append(current)
            bases = [self.resolve(base, current[0]) for base in facts.bases]
            stack[0:0] = [(b[1], b[2]) for b in bases if b is not None and b[0] == "class"]
        return order[1:] if skip_self else order

    def base_names(self, path: str, qualname: str) -> set[str]:
        """Every base expression spelled in the class hierarchy (`DeclarativeBase`, `AsyncAttrs`, `Base`)."""
        names: set[str] = set()
        for current in self.mro(path, qualname):
            facts = self.cls(*current)
            for base, spelled in zip(facts.bases, facts.base_names):
                names.add(spelled)
                if base is not None and base[0] == "name":
                    names.add(base[1])
        return names
