"""The repository-wide index async coloring needs: every module's facts, and what their names mean.

Built once per `check`/`migrate` run over the whole project (the config root) plus the files the run
was given, so a call in one module resolves to a definition in another through `import x`,
`from x import y as z`, package re-exports, module attributes, classes and their bases, `self`,
annotations, constructors in scope and pytest fixtures.

Each file is summarised on its own (in parallel, see `summarise`): its facts are taken from the
module as the other families would leave it (their rewrites run in a *prediction* mode where every
function that may become async is assumed to), and the functions those rewrites put an `await` into
are the *seeds* of the coloring. `coloring_solve.py` then decides, for the whole repository, which
functions become async.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import libcst as cst
from libcst.metadata import PositionProvider

from .coloring_scan import (
    PROPERTY_DECORATORS,
    ClassFacts,
    Expr,
    FunctionFacts,
    ModuleFacts,
    TYPEVARS,
    ModuleScanner,
    own_nodes,
    qualname_of,
)
from . import coloring_callables, coloring_loop_driver
from .evidence import SYNC_SESSION_FROM, ReceiverEvidence

FunctionId = tuple[str, str]  # (file, qualname)
Entity = tuple
MAX_RESOLVE_DEPTH = 24
# Methods of a mapping that give back one of its values.
MAPPING_LOOKUPS = frozenset({"get", "pop", "setdefault", "__getitem__"})
# What calling these makes (or what calling what they make makes): a session of that side.
SESSION_FACTORY_SIDES = {
    **dict.fromkeys(("sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker",
                     "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"), "sync"),
    **dict.fromkeys(("sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.async_scoped_session",
                     "sqlalchemy.ext.asyncio.session.async_sessionmaker"), "async"),
}
# What calling one of these gives: a session of that side (compat's `sync_session_from(SessionLocal)` too).
SESSION_CLASS_SIDES = {
    **dict.fromkeys(("sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", *SYNC_SESSION_FROM), "sync"),
    **dict.fromkeys(("sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy.ext.asyncio.session.AsyncSession"), "async"),
}
SELF_TYPES = frozenset(("inst", ("name", f"{module}.Self")) for module in ("typing", "typing_extensions"))


@dataclass(frozen=True)
class ModuleLocation:
    """Where a file sits in the import system: `app.services.jobs` under source root `fixtures/jobs_api`."""

    module: str
    package: str
    source_root: str


def locate_module(path: Path) -> ModuleLocation:
    """The dotted module name of `path`: its folders up to the first one without `__init__.py`."""
    path = Path(path).absolute()
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while os.path.isfile(folder / "__init__.py") and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    module = ".".join(parts) or path.parent.name
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    return ModuleLocation(module, package, folder.as_posix())


def namespace_module(path: Path) -> str | None:
    """The dotted name of `path` through a folder without `__init__.py` inside a regular package: Python imports
    `tests/multitenant_tests/case_abc.py` under `tests/__init__.py` as `tests.multitenant_tests.case_abc` (the
    folder is a namespace portion of `tests`), beside the short name `locate_module` gives. None when no such
    folder is on the way."""
    path = Path(path).absolute()
    parts = [] if path.stem == "__init__" else [path.stem]
    folder, through_namespace = path.parent, False
    while folder.parent != folder:
        if not os.path.isfile(folder / "__init__.py"):
            if not os.path.isfile(folder.parent / "__init__.py"):
                break
            through_namespace = True
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) if through_namespace else None


@dataclass
class FileSummary:
    """One file's facts as the other families leave it, and the functions they make need `await`."""

    path: str
    location: ModuleLocation
    facts: ModuleFacts
    # Sync functions whose body holds `await`/`async with`/`async for` once the other families ran.
    seeds: frozenset[str] = frozenset()
    # Functions that another family's rewrite turned into `async def` by itself (e.g. `get_db`).
    converted: frozenset[str] = frozenset()
    # Call keys (owner, callee, awaited) that exist after the other families ran, with multiplicity:
    # a call another family's rewrite removes (`next(get_db())`) is not one F may report.
    surviving_calls: dict[tuple, int] = field(default_factory=dict)
    # Sync functions holding sync session I/O, whatever the run selects (see coloring_predict._legacy_io).
    legacy_io: frozenset[str] = frozenset()
    # Fixtures that hand out a session or connection they open (D105, fixture_sessions.py): qualname -> (what
    # they hand out, "session" or "connection"; whether, once async, they request anyio's `anyio_backend`).
    handout_fixtures: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # The prediction itself, for `migrate` to start from (None: the other families changed nothing).
    source_digest: bytes = b""
    predicted: bytes | None = None
    predicted_fixed: dict[str, int] = field(default_factory=dict)
    # The run's target: with "async", a function that receives the session with its query (query_params.py)
    # awaits it, which the prediction cannot see (only the whole repository decides it).
    target: str = "async"


def scan_module(wrapper: cst.MetadataWrapper, path: str, location: ModuleLocation, evidence: ReceiverEvidence,
                positions=None) -> ModuleFacts:
    positions = positions if positions is not None else wrapper.resolve(PositionProvider)

    def line_of(node: cst.CSTNode) -> int:
        where = positions.get(node)
        return where.start.line if where is not None else 0

    scanner = ModuleScanner(path, location.module, location.package, evidence)
    facts = scanner.scan(line_of)
    coloring_loop_driver.scan(facts, evidence.parents, evidence)
    coloring_callables.scan(facts, evidence.parents, scanner)
    return facts


def call_key(owner: str | None, callee: Expr | None, awaited: bool) -> tuple:
    return (owner, callee, awaited)


def async_bodies(parents: Mapping[cst.CSTNode, cst.CSTNode]) -> tuple[set[str], set[str]]:
    """Qualnames of the `async def`s, and of the sync `def`s whose own body awaits, in the module whose nodes
    `parents` maps to their parents."""
    asynchronous, awaiting = set(), set()
    for node in parents:
        if not isinstance(node, cst.FunctionDef):
            continue
        qualname = qualname_of(node, parents)
        if node.asynchronous is not None:
            asynchronous.add(qualname)
        elif any(_awaits(child) for child in own_nodes(node)):
            awaiting.add(qualname)
    return asynchronous, awaiting


def _awaits(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Await):
        return True
    if isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
        return True
    return isinstance(node, cst.CompFor) and node.asynchronous is not None


class RepoIndex:
    """Every file's summary, and name resolution across them."""

    def __init__(self, summaries: Iterable[FileSummary]) -> None:
        self.files: dict[str, FileSummary] = {s.path: s for s in summaries}
        self.modules: dict[str, list[str]] = {}
        for summary in self.files.values():
            self.modules.setdefault(summary.location.module, []).append(summary.path)
        for summary in list(self.files.values()):
            alias = namespace_module(Path(summary.path))
            if alias is not None and alias not in self.modules:
                self.modules[alias] = [summary.path]
        self._fixtures: dict[str, dict[str, FunctionId]] = {}
        # Where fixtures are looked up from each file (the file, then conftest.py files upwards), and the
        # conftest.py of each folder: built once, not on every lookup (there is one per test parameter).
        self._fixture_search: dict[str, list[str]] = {}
        self._conftests: dict[PurePosixPath, str] | None = None
        # Answers derived from the whole index, computed once by whoever needs them.
        self.memo: dict[str, object] = {}

    # -- definitions ------------------------------------------------------------------------------
    def function(self, function: FunctionId) -> FunctionFacts | None:
        summary = self.files.get(function[0])
        return summary.facts.functions.get(function[1]) if summary is not None else None

    def cls(self, path: str, qualname: str) -> ClassFacts | None:
        summary = self.files.get(path)
        return summary.facts.classes.get(qualname) if summary is not None else None

    def functions(self) -> Iterable[tuple[FunctionId, FunctionFacts]]:
        for path, summary in self.files.items():
            for qualname, facts in summary.facts.functions.items():
                yield (path, qualname), facts

    # -- modules ----------------------------------------------------------------------------------
    def module_path(self, name: str, origin: str) -> str | None:
        """The file of module `name` as seen from file `origin` (nearest source root wins)."""
        candidates = self.modules.get(name)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        origin_dir = _absolute_dir(self.files[origin]) if origin in self.files else None
        best, best_length = None, -1
        for candidate in candidates:
            root = self.files[candidate].location.source_root
            if origin_dir is not None and (origin_dir == root or origin_dir.startswith(root.rstrip("/") + "/")):
                if len(root) > best_length:
                    best, best_length = candidate, len(root)
        return best

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

    # -- pytest fixtures --------------------------------------------------------------------------
    def fixture(self, name: str, origin: str) -> FunctionId | None:
        """The fixture `name` a test in `origin` receives: its own module first, then conftest.py upwards."""
        for path in self._fixture_files(origin):
            found = self._fixtures_of(path).get(name)
            if found is not None:
                return found
        return None

    def _fixtures_of(self, path: str) -> dict[str, FunctionId]:
        if path not in self._fixtures:
            summary = self.files.get(path)
            found: dict[str, FunctionId] = {}
            if summary is not None:
                for qualname, facts in summary.facts.functions.items():
                    if facts.role == "fixture" and facts.fixture_name:
                        found.setdefault(facts.fixture_name, (path, qualname))
            self._fixtures[path] = found
        return self._fixtures[path]

    def _fixture_files(self, origin: str) -> list[str]:
        if origin not in self._fixture_search:
            self._fixture_search[origin] = self._search_fixture_files(origin)
        return self._fixture_search[origin]

    def _search_fixture_files(self, origin: str) -> list[str]:
        if self._conftests is None:
            self._conftests = {PurePosixPath(p).parent: p for p in self.files if PurePosixPath(p).name == "conftest.py"}
        conftests = self._conftests
        files = [origin]
        folder = PurePosixPath(origin).parent
        while True:
            if folder in conftests and conftests[folder] != origin:
                files.append(conftests[folder])
            if folder == folder.parent or str(folder) in ("", "."):
                break
            folder = folder.parent
        if PurePosixPath(".") in conftests and conftests[PurePosixPath(".")] not in files:
            files.append(conftests[PurePosixPath(".")])
        return files


def _absolute_dir(summary: FileSummary) -> str:
    return Path(summary.path).absolute().parent.as_posix()


def function_at(path: str, qualname: str) -> FunctionId:
    return (path, qualname)


def display_sites(index: RepoIndex, sites: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{path}:{line}" for path, line in sites)
