"""@property getters that need async and can become explicit async methods.

Python reads a property as an attribute and never awaits it, so a getter that runs a query stays sync
(F107). It can instead become `async def name(self)`, every read `obj.name` becoming
`await obj.name()`, when the whole repository proves that nothing else depends on it being a property:

- it is a plain `@property` (no setter or deleter) or a `functools.cached_property`, neither overriding a
  base class member nor overridden in a subclass; a cached one keeps its one result per instance through
  compat's `cached_per_instance` (reassigning or deleting it, which resets a cached property, is a write and
  leaves it);
- the repository reads it at least once (a property nothing reads is read by something sqlasync cannot
  see: a serialiser, a template);
- every read of an attribute of that name resolves to an instance of its class (or of a subclass):
  through `self`, an annotation, or a constructor in scope. A read sqlasync cannot resolve, an
  assignment or `del`, a lookup by name (`getattr`), the property object read on the class, or a call of
  its value leaves the property as it is, with the reason.

The reads then count as calls of the new method: their functions become async in turn (or, if one
cannot, the property stays sync like any function with a caller that cannot await).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .facts import AttributeRead, CallSite, Expr
from .entities import FunctionId
from .repo_index import RepoIndex

CACHED_PROPERTY_DECORATORS = (("functools.cached_property",), ("cached_property",))

# How far `_from_outside` follows an expression back (attribute chains are short; cycles end here).
MAX_STEPS = 20

READ_KINDS = {"store": "assigned", "delete": "deleted", "by-name": "looked up by name"}


@dataclass
class Accessors:
    """The repository's property getters: those that may become async methods, with the sites that read them,
    and why each of the others may not."""

    reads: dict[FunctionId, list[tuple[str, AttributeRead]]] = field(default_factory=dict)
    reasons: dict[FunctionId, str] = field(default_factory=dict)
    names: dict[str, list[FunctionId]] = field(default_factory=dict)
    cached: set[FunctionId] = field(default_factory=set)  # the `cached_property` getters among `reads`

    def read_site(self, read: AttributeRead) -> CallSite:
        """A read as the call it becomes, for the coloring's call graph."""
        return CallSite(callee=("attr", read.receiver, read.name), line=read.line, owner=read.owner,
                        context=read.context)


def analyse(index: RepoIndex) -> Accessors:
    accessors = Accessors()
    candidates = {}
    for function, facts in index.functions():
        if facts.class_qualname is None or facts.is_async:
            continue
        accessor = next((d.rsplit(".", 1)[-1] for d in facts.decorators
                         if d.rsplit(".", 1)[-1] in ("setter", "deleter")), None)
        if accessor is not None:
            # The getter, setter and deleter share one qualname: what the index holds is the last of them.
            accessors.reasons[function] = f"it has a {accessor}, which cannot be awaited"
        elif (facts.decorators == ("property",) or facts.decorators in CACHED_PROPERTY_DECORATORS) \
                and not facts.is_generator:
            candidates[function] = facts
    if not candidates:
        return accessors
    by_name: dict[str, list[FunctionId]] = defaultdict(list)
    for function, facts in candidates.items():
        by_name[facts.name].append(function)
    sites: dict[str, list[tuple[str, AttributeRead]]] = defaultdict(list)
    calls: dict[str, list[tuple[str, CallSite]]] = defaultdict(list)
    for path, summary in index.files.items():
        for read in summary.facts.reads:
            if read.name in by_name:
                sites[read.name].append((path, read))
        for site in summary.facts.calls:
            if site.callee is not None and site.callee[0] == "attr" and site.callee[2] in by_name:
                calls[site.callee[2]].append((path, site))
    below = subclasses(index)
    for function, facts in candidates.items():
        owner = (function[0], facts.class_qualname)
        reason = (override_problem(index, owner, facts.name, below)
                  or _call_problem(index, owner, calls[facts.name]))
        mine: list[tuple[str, AttributeRead]] = []
        for path, read in sites[facts.name]:
            if reason is not None:
                break
            verdict = _classify(index, owner, read.receiver, path)
            where = f"{path}:{read.line}"
            if verdict == "unknown":
                reason = f"`.{facts.name}` is read at {where} on a value whose class sqlasync cannot tell"
            elif verdict == "class":
                reason = f"the property object itself is read on the class at {where}"
            elif verdict == "mine" and read.kind != "load":
                reason = f"it is {READ_KINDS[read.kind]} at {where}"
            elif verdict == "mine":
                mine.append((path, read))
        if reason is None and not mine:
            reason = ("nothing in the repository reads it, so whatever does (a serialiser, a template) is "
                      "out of sight")
        if reason is None:
            accessors.reads[function] = mine
            accessors.names.setdefault(facts.name, []).append(function)
            if facts.decorators in CACHED_PROPERTY_DECORATORS:
                accessors.cached.add(function)
        else:
            accessors.reasons[function] = reason
    return accessors


def read_target(index: RepoIndex, accessors: Accessors, read: AttributeRead, path: str) -> FunctionId | None:
    """The convertible property `read` reads, if any."""
    for function in accessors.names.get(read.name, ()):
        facts = index.function(function)
        if _classify(index, (function[0], facts.class_qualname), read.receiver, path) == "mine":
            return function
    return None


def _classify(index: RepoIndex, owner: FunctionId, receiver: Expr | None, path: str) -> str:
    """"mine": an instance of `owner` or a subclass; "class": the class itself; "other": something else for sure;
    "unknown": anything sqlasync cannot resolve, and instances of `owner`'s bases (they may be an `owner`)."""
    if receiver is not None and _from_outside(index, receiver, path):
        return "other"  # made by a module outside the repository (`re.compile(...).match(s).group()`)
    entity = index.resolve(receiver, path) if receiver is not None else None
    if entity is None or entity[0] in ("super", "cls"):
        return "unknown"
    if entity[0] in ("instance", "class"):
        lineage = index.mro(entity[1], entity[2])
        if owner in lineage:
            return "mine" if entity[0] == "instance" else "class"
        if (entity[1], entity[2]) in index.mro(*owner):
            return "unknown"
    return "other"


def _from_outside(index: RepoIndex, expr: Expr, path: str) -> bool:
    """Is `expr` a name of a module outside the repository, or what calling, indexing or reading attributes of one
    gives, also through a class attribute of the repository that holds one (`cls.pattern = re.compile(...)`)?"""
    for _ in range(MAX_STEPS):
        if expr is None:
            return False
        if expr[0] == "name":
            held = _module_global(index, expr[1], path)
            if held is not None:
                expr, path = held
                continue
            top = expr[1].split(".")[0]
            return not expr[1].startswith("builtins.") and index.module_path(top, path) is None \
                and not any(module.startswith(top + ".") for module in index.modules)
        if expr[0] == "attr":
            held = _class_attribute(index, index.resolve(expr[1], path), expr[2])
            if held is not None:
                expr, path = held
                continue
        if expr[0] not in ("call", "elem", "attr", "list", "enter"):
            return False
        expr = expr[1]
    return False


def _module_global(index: RepoIndex, fqn: str, origin: str) -> tuple[Expr, str] | None:
    """What a module of the repository binds the global in `fqn` to (`app.text.PATTERN.match` -> the
    expression `PATTERN = ...` holds, when it is not an import), and the file it is in."""
    parts = fqn.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = index.module_path(".".join(parts[:cut]), origin)
        if path is None:
            continue
        bound = index.files[path].facts.names.get(parts[cut])
        if bound is None or bound[0] == "name":
            return None  # an import (followed as a name already) or a name bound more than once
        return bound, path
    return None


def _class_attribute(index: RepoIndex, owner, name: str) -> tuple[Expr, str] | None:
    """The expression a repository class binds `name` to in its body, and the file it is in."""
    if owner is None or owner[0] not in ("class", "instance", "cls", "self"):
        return None
    for path, qualname in index.mro(owner[1], owner[2]):
        facts = index.cls(path, qualname)
        if name in facts.attributes:
            return facts.attributes[name], path
    return None


def override_problem(index: RepoIndex, owner: FunctionId, name: str, below) -> str | None:
    for ancestor in index.mro(*owner)[1:]:
        if _defines(index, ancestor, name):
            return f"it overrides `{name}` of `{ancestor[1]}` ({ancestor[0]})"
    for subclass in below.get(owner, ()):
        if _defines(index, subclass, name):
            return f"`{subclass[1]}` ({subclass[0]}) overrides it"
    return None


def _call_problem(index: RepoIndex, owner: FunctionId, calls: list[tuple[str, CallSite]]) -> str | None:
    for path, site in calls:
        if _classify(index, owner, site.callee[1], path) in ("mine", "class", "unknown"):
            return f"`.{site.callee[2]}(...)` at {path}:{site.line} may call its value"
    return None


def _defines(index: RepoIndex, cls: FunctionId, name: str) -> bool:
    facts = index.cls(*cls)
    return facts is not None and (name in facts.methods or name in facts.attributes or name in facts.relationships)


def subclasses(index: RepoIndex) -> dict[FunctionId, list[FunctionId]]:
    found: dict[FunctionId, list[FunctionId]] = defaultdict(list)
    for path, summary in index.files.items():
        for qualname in summary.facts.classes:
            for ancestor in index.mro(path, qualname)[1:]:
                found[ancestor].append((path, qualname))
    return found
