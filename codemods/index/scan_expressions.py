"""Expressions as the index resolves them later (`Expr`): names, calls, attributes, locals (ModuleScanner)."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, ComprehensionScope, FunctionScope, GlobalScope

from ..core.nodes import dotted_name, metadata_value, string_value
from ..core.functions import qualname_of
from ..core.orm_statements import REFINING, is_select, loaded_by
from .facts import (COLLECTION_TYPES, MAPPING_TYPES, PICKS_AN_ELEMENT, STANDARD_GENERICS, TYPE_WRAPPERS, Expr,
                    _LocalInProgress, _LocalValue)
from .scan_nodes import _alternatives, _code, _either, _literal_index, own_nodes


class _Expressions:
    """Expressions as the index resolves them later (`Expr`): names, calls, attributes, locals (ModuleScanner)."""

    # -- expressions ------------------------------------------------------------------------------
    def is_session(self, node: cst.BaseExpression) -> bool:
        return self.evidence.session(node) is not None

    def bound_values(self, name: cst.Name) -> list[cst.BaseExpression]:
        """The values a local name is bound to in its function (assignments only); nothing for another node."""
        if not isinstance(name, cst.Name):
            return []
        scope = metadata_value(self.scopes, name)
        if not isinstance(scope, (FunctionScope, ComprehensionScope)) or name.value not in scope:
            return []
        values = []
        for assignment in self.evidence.bindings(scope, name.value):
            if not isinstance(assignment.scope, GlobalScope):
                value = self.evidence.bound_value(assignment.node)
                if value is not None:
                    values.append(value)
        return values

    def _statement_values(self, node: cst.BaseExpression) -> list[cst.BaseExpression]:
        """What a statement kept in a name was bound to, or what `self.<method>()` of the class returns
        (`self._query()` building `select(self.model)` in a generic repository): the rows' class, for typing only
        (the rewrites place options on statements of their own function, through `bound_values`)."""
        if isinstance(node, cst.Name):
            return self.bound_values(node)
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and isinstance(node.func.value, cst.Name) and node.func.value.value == "self"):
            return []
        cls = self.evidence.enclosing(node, cst.ClassDef)
        methods = [statement for statement in cls.body.body if isinstance(statement, cst.FunctionDef)
                   and statement.name.value == node.func.attr.value] if cls is not None else []
        return [found.value for method in methods for found in own_nodes(method)
                if isinstance(found, cst.Return) and found.value is not None]

    def expr(self, node: cst.BaseExpression | None) -> Expr | None:
        if node is None:
            return None
        key = id(node)
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            return self._expr(node)
        finally:
            self._in_progress.discard(key)

    def _expr(self, node: cst.BaseExpression) -> Expr | None:
        if isinstance(node, cst.Name):
            return self._name(node)
        if isinstance(node, cst.Attribute):
            base = self.expr(node.value)
            if base is None:
                return None
            if base[0] == "name":
                return ("name", f"{base[1]}.{node.attr.value}")
            return ("attr", base, node.attr.value)
        if isinstance(node, cst.Call):
            loaded = loaded_by(node, self.is_session, self._statement_values)
            if loaded is not None:
                model = self.expr(loaded.model)
                instance = ("inst", model) if model is not None else None
                return ("list", instance) if loaded.collection and instance is not None else instance
            if is_select(node):
                model = self.expr(node.args[0].value)
                return ("stmt", ("inst", model)) if model is not None else None
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in REFINING:
                receiver = self.expr(node.func.value)
                if receiver is not None and receiver[0] in ("stmt", "list"):
                    return receiver
            if isinstance(node.func, cst.Name) and node.func.value == "super" and not node.args:
                cls = self.evidence.enclosing(node, cst.ClassDef)
                return ("super", self.path, qualname_of(cls, self.parents)) if cls is not None else None
            inner = self.expr(node.func)
            if inner in PICKS_AN_ELEMENT and node.args and not node.args[0].star:
                # `random.choice(users)`: one of the collection's values.
                collection = self.expr(node.args[0].value)
                return ("elem", collection) if collection is not None else None
            return ("call", inner) if inner is not None else None
        if isinstance(node, cst.Await):
            return self.expr(node.expression)
        if isinstance(node, cst.Subscript):
            inner = self.expr(node.value)
            if inner is None:
                return None
            # A subscript carries its index (None unless a literal), which tells it from a loop's element.
            return ("elem", inner, _literal_index(node))
        if isinstance(node, cst.BooleanOperation):
            return _either(self.expr(node.left), self.expr(node.right))
        if isinstance(node, cst.IfExp):
            return _either(self.expr(node.body), self.expr(node.orelse))
        if isinstance(node, (cst.List, cst.ListComp, cst.Tuple, cst.Set, cst.SetComp)):
            element = node.elt if isinstance(node, (cst.ListComp, cst.SetComp)) else (
                node.elements[0].value if node.elements else None)
            inner = self.expr(element) if element is not None else None
            return ("list", inner) if inner is not None else None
        return None

    def _name(self, node: cst.Name) -> Expr | None:
        scope = metadata_value(self.scopes, node)
        if scope is None or node.value not in scope:
            return ("name", f"builtins.{node.value}") if scope is not None else None
        assignments = self.evidence.bindings(scope, node.value)
        if not assignments:
            return ("name", f"builtins.{node.value}")
        if all(isinstance(a.scope, GlobalScope) for a in assignments):
            bound = self.facts.names.get(node.value)
            if bound is not None and bound[0] == "name":
                return bound  # an import: the name stands for what it imports
            return ("name", f"{self.module_name}.{node.value}")
        return self._local(node, assignments)

    def _local(self, read: cst.Name, assignments: list[Assignment]) -> Expr | None:
        """What a local name holds where `read` reads it: its bindings' values, worked out once and remembered.

        Some bindings read the name itself (`q = db.query(Job)`, then `if ...: q = q.filter(...)` and
        `q = q.order_by(...)`): each such step sees the others applied to the chain's start, once, and a read
        that a binding's value is worked out from sees the name without that binding. Following every order
        of the steps, as an earlier version did, costs n! for n steps and says no more."""
        key = (id(assignments[0].scope), read.value)
        value = self._locals.get(key)
        if value is None:
            for depth, frame in enumerate(self._locals_in_progress):
                if frame.key == key:
                    frame.reads_itself[id(read)] = frame.binding
                    for inner in self._locals_in_progress[depth + 1:]:
                        inner.provisional = True  # it saw a value still being worked out: not to be remembered
                    return frame.read
            value = self._work_out(key, assignments)
        return value.within.get(id(read), value.everywhere)

    def _work_out(self, key: tuple[int, str], assignments: list[Assignment]) -> _LocalValue:
        frame = _LocalInProgress(key)
        self._locals_in_progress.append(frame)
        # Whatever expression was being worked out around the first read says nothing about the name's value.
        outer, self._in_progress = self._in_progress, set()
        try:
            alone = self._bindings(frame, assignments, lambda i: None)  # reading the name itself gives nothing yet
            if not frame.reads_itself:
                value = _LocalValue(_alternatives(alone))
            else:
                start = _alternatives(alone)
                once = self._bindings(frame, assignments, lambda i: start)  # each step applied to the chain's start
                without = [_alternatives([*once[:i], alone[i], *once[i + 1:]]) for i in range(len(assignments))]
                steps = self._bindings(frame, assignments, lambda i: without[i])
                value = _LocalValue(_alternatives(steps), {read: without[i] for read, i in frame.reads_itself.items()})
        finally:
            self._in_progress = outer
            self._locals_in_progress.pop()
        if not frame.provisional:
            self._locals[key] = value
        return value

    def _bindings(self, frame: _LocalInProgress, assignments: list[Assignment], reads) -> list[Expr | None]:
        """The value of each binding, where reading the name itself inside binding i gives reads(i)."""
        values = []
        for i, assignment in enumerate(assignments):
            frame.binding, frame.read = i, reads(i)
            values.append(self._binding(assignment))
        return values

    def _binding(self, assignment: Assignment) -> Expr | None:
        node = assignment.node
        if isinstance(node, cst.Param):
            function = self.evidence.enclosing(node, cst.FunctionDef)
            if function is None:
                return None
            class_qualname = self._class_of(function)
            key = id(function)
            if key not in self._roles:
                self._roles[key] = self._role(function, (), class_qualname)[0]
            return self._param_type(node, function, class_qualname, self._roles[key])
        if isinstance(node, cst.FunctionDef):
            return ("def", self.path, qualname_of(node, self.parents))
        if isinstance(node, cst.ClassDef):
            return ("class", self.path, qualname_of(node, self.parents))
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return self._imported(node, assignment.name)
        parent = self.parents.get(node)
        if isinstance(parent, cst.AnnAssign):
            return self.annotation(parent.annotation.annotation)
        if isinstance(parent, cst.AsName):
            item = self.parents.get(parent)
            if isinstance(item, cst.WithItem):
                inner = self.expr(item.item)
                return ("enter", inner) if inner is not None else None
            return None
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
            inner = self.expr(parent.iter)
            return ("elem", inner) if inner is not None else None
        value = self.evidence.bound_value(node)
        return self.expr(value) if value is not None else self._unpacked(node)

    def _unpacked(self, target: cst.CSTNode) -> Expr | None:
        """A name unpacked from a value: `a, b = A(), B()` the value at the target's position; `first, second =
        users` one element of the collection; `for user, private in [(first, True), (second, False)]:` the first
        row's value at the target's position (the rows of such a literal hold the same kinds of values)."""
        element = self.parents.get(target)
        pattern = self.parents.get(element) if type(element) is cst.Element else None
        owner = self.parents.get(pattern) if isinstance(pattern, (cst.Tuple, cst.List)) else None
        position = list(pattern.elements).index(element) if owner is not None else 0
        assign = self.parents.get(owner) if isinstance(owner, cst.AssignTarget) else None
        if isinstance(assign, cst.Assign):
            if isinstance(assign.value, (cst.Tuple, cst.List)):
                return self._at(assign.value, len(pattern.elements), position)
            collection = self.expr(assign.value)
            if collection is None:
                return None
            starred = any(isinstance(value, cst.StarredElement) for value in pattern.elements) if owner else True
            return ("elem", collection) if starred else ("elem", collection, position)
        if isinstance(owner, (cst.For, cst.CompFor)) and owner.target is pattern \
                and isinstance(owner.iter, (cst.List, cst.Tuple)) and owner.iter.elements:
            return self._at(owner.iter.elements[0].value, len(pattern.elements), position)
        return None

    def _at(self, row: cst.BaseExpression, length: int, position: int) -> Expr | None:
        """The value at `position` of a literal tuple or list of `length` values, none of them starred."""
        if not isinstance(row, (cst.Tuple, cst.List)) or len(row.elements) != length \
                or any(isinstance(value, cst.StarredElement) for value in row.elements):
            return None
        return self.expr(row.elements[position].value)

    def annotation(self, node: cst.BaseExpression | None) -> Expr | None:
        """`Job`, `Job | None`, `Optional[Job]`, `list[Job]`, `"Job"` → what a value of that type is."""
        if node is None:
            return None
        if isinstance(node, cst.SimpleString):
            return self._string_type(string_value(node))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, right = self.annotation(node.left), self.annotation(node.right)
            if left is None or left == ("inst", ("name", "builtins.None")):
                return right
            return left
        if isinstance(node, cst.Subscript):
            head = (dotted_name(node.value) or "").split(".")[-1]
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if head in TYPE_WRAPPERS and elements:
                for element in elements:
                    found = self.annotation(element)
                    if found is not None and found != ("inst", ("name", "builtins.None")):
                        return found
                return None
            if head in MAPPING_TYPES and len(elements) == 2:
                inner = self.annotation(elements[1])
                return ("map", inner) if inner is not None else None
            if head in COLLECTION_TYPES and elements:
                if head in ("tuple", "Tuple") and len({_code(e) for e in elements} - {"..."}) > 1:
                    # `tuple[Repo, User]`: no one type for its elements, each one's at its position.
                    if any(_code(e) == "..." for e in elements):
                        return None
                    positions = tuple(self.annotation(e) for e in elements)
                    return ("tuple", positions) if any(positions) else None
                inner = self.annotation(elements[0])
                return ("list", inner) if inner is not None else None
            if head == "type" and elements:
                inner = self.annotation(elements[0])
                return inner[1] if inner is not None and inner[0] == "inst" else None
            # A generic class of the project's own, parametrised (`GroupRepository[Schema, Model]`): an instance
            # of that class. The standard library's and typing's generics say nothing about a class.
            generic = self.expr(node.value) if isinstance(node.value, (cst.Name, cst.Attribute)) else None
            if generic is not None and generic[0] == "name" and not generic[1].startswith(STANDARD_GENERICS):
                return ("inst", generic)
            return None
        if isinstance(node, (cst.Name, cst.Attribute)):
            if isinstance(node, cst.Name) and node.value == "None":
                return ("inst", ("name", "builtins.None"))
            inner = self.expr(node)
            return ("inst", inner) if inner is not None else None
        return None

    def _string_type(self, text: str | None) -> Expr | None:
        if not text:
            return None
        try:
            parsed = cst.parse_expression(text)
        except cst.ParserSyntaxError:
            return None
        if isinstance(parsed, (cst.Name, cst.Attribute)):
            name = dotted_name(parsed)
            return ("inst", ("name", f"{self.module_name}.{name}")) if name else None
        return None
