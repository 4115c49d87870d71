"""F201-F204: relationship loading and expiry under asyncio.

An `AsyncSession` cannot load anything implicitly: reading an unloaded relationship (`job.clips`) or
any attribute of an object expired by `commit()` raises `MissingGreenlet`. F201 finds relationship
reads in code that is async after migration, on objects whose class the repository index can infer,
and fixes each by eager loading on the statement that loaded the object (same function) or by an
explicit `await obj.awaitable_attrs.rel` (objects returned to readers elsewhere: lazy_escapes.py); F202
gives the declarative base the `AsyncAttrs` mixin those need; F203 keeps committed objects readable (`expire_on_commit=False`); F204 refreshes the objects a
`rollback()` expired before the code after it reads them; F205 validates ORM objects with pydantic inside
`run_sync` (lazy_validation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, FunctionScope

from . import lazy_escapes, lazy_validation
from ..core.nodes import dotted_name, metadata_value
from ..core.receivers import ASYNC_FACTORIES
from .lazy_sources import EagerLoad, loads, origin, sources
from ..core.tree import children


ASYNC_ATTRS = frozenset({"AsyncAttrs", "sqlalchemy.ext.asyncio.AsyncAttrs"})
DECLARATIVE_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta", "sqlalchemy.orm.DeclarativeBase",
                               "sqlalchemy.orm.DeclarativeBaseNoMeta", "sqlalchemy.orm.decl_api.DeclarativeBase"})
# Session calls that expire every object in the session.
EXPIRING = frozenset({"rollback", "expire_all"})


@dataclass(frozen=True)
class AwaitAttribute:
    read: cst.Attribute
    parenthesize: bool


@dataclass(frozen=True)
class LoadBeforeAugmentedAssignment:
    """`obj.rel += more`: the target cannot be an `await`, so the relationship is loaded by a statement before."""

    statement: cst.SimpleStatementLine
    read: cst.Attribute


@dataclass(frozen=True)
class AddAsyncAttrs:
    cls: cst.ClassDef


@dataclass(frozen=True)
class KeepAfterCommit:
    call: cst.Call


@dataclass(frozen=True)
class RefreshAfterRollback:
    statement: cst.SimpleStatementLine
    session: str
    names: tuple[str, ...]


def recognise(rec) -> None:
    index = rec.coloring.index
    names = _relationship_names(index)
    for node in rec.evidence.parents:
        if isinstance(node, cst.Attribute) and node.attr.value in names:
            _read(rec, node)
        elif isinstance(node, cst.ClassDef):
            _declarative_base(rec, node)
        elif isinstance(node, cst.Assign):
            _module_assignment(rec, node)
        elif isinstance(node, cst.Call):
            _session_factory(rec, node)
            _rollback(rec, node)
            lazy_validation.recognise(rec, node, sources, _needs_parentheses, names)
    lazy_escapes.recognise(rec)


# -- F201 ------------------------------------------------------------------------------------------
def _read(rec, node: cst.Attribute) -> None:
    parent = rec.evidence.parent(node)
    if isinstance(parent, (cst.AssignTarget, cst.Del)) or (isinstance(parent, cst.AnnAssign) and parent.target is node):
        return
    owner, context = rec.scanner.placement(node)
    if owner is None or not rec.will_be_async_here(node):
        return
    index = rec.coloring.index
    entity = index.resolve(rec.scanner.expr(node.value), rec.path)
    if entity is None or entity[0] != "instance":
        return
    relationship = _relationship(index, entity, node.attr.value)
    if relationship is None or relationship.eager:
        return
    name = node.attr.value
    if _assigned_before(rec, node) or any(loads(rec, source, name) for source in sources(rec, node.value)):
        return
    model = entity[2].rsplit(".", 1)[-1]
    text = cst.Module([]).code_for_node(node)
    message = f"`{text}` lazily loads the relationship `{model}.{name}`, which raises MissingGreenlet under asyncio"
    if context != "body":
        rec.report("F201", node, message, reason=f"read {context}; load it before, outside that expression")
        return
    loaded = origin(rec, node.value)
    if loaded is not None and loaded.kind != "get" and index.resolve(rec.scanner.expr(loaded.model), rec.path) == ("class", *entity[1:]):
        rec.report("F201", node, message + f"; loaded eagerly by the statement that loads the {model}",
                   fixable=True, data=EagerLoad(loaded, name))
    elif _async_attrs_available(rec, entity):
        if isinstance(parent, cst.AugAssign) and parent.target is node:
            statement = rec.evidence.parent(parent)
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                rec.report("F201", node, message, reason="augmented assignment sharing a line with other "
                           "statements; load it with `await ....awaitable_attrs` on a line of its own before")
                return
            if _loaded_just_before(rec, statement, node):
                return
            rec.report("F201", node, message + "; loaded through AsyncAttrs before the augmented assignment",
                       fixable=True, data=LoadBeforeAugmentedAssignment(statement, node))
            return
        rec.report("F201", node, message + "; awaited through AsyncAttrs", fixable=True,
                   data=AwaitAttribute(node, _needs_parentheses(rec, node)))
    else:
        base = _unmigrated_base(rec, entity)
        where = f"`{base[1]}` in {base[0]}, which this run does not migrate," if base else "`declarative_base()`"
        rec.report("F201", node, message, needs=base[0] if base else None, reason=(
            f"the {model} was not loaded in this function and its declarative base {where} has no AsyncAttrs "
            "mixin: migrate that file in the same run, or eager-load the relationship where the object is loaded"))


def _loaded_just_before(rec, statement: cst.SimpleStatementLine, read: cst.Attribute) -> bool:
    """Whether the line before is the `await obj.awaitable_attrs.rel` a previous run put there."""
    block = rec.evidence.parent(statement)
    body = list(getattr(block, "body", ()))
    position = next((i for i, line in enumerate(body) if line is statement), 0)
    if position == 0 or not isinstance(body[position - 1], cst.SimpleStatementLine):
        return False
    code = cst.Module([]).code_for_node
    return [code(small) for small in body[position - 1].body] == [code(_awaitable(read, parenthesize=False))]


def _relationship_names(index) -> set[str]:
    key = "_relationship_names"
    if key not in index.memo:
        index.memo[key] = {name for summary in index.files.values() for facts in summary.facts.classes.values()
                           for name, relationship in facts.relationships.items() if not relationship.eager}
    return index.memo[key]


def _relationship(index, entity, name: str):
    for path, qualname in index.mro(entity[1], entity[2]):
        facts = index.cls(path, qualname)
        if name in facts.relationships:
            return facts.relationships[name]
        if name in facts.methods or name in facts.attributes:
            return None
    return None


def _assigned_before(rec, read: cst.Attribute) -> bool:
    """`job.clips = [...]` earlier in the same function: the collection is set, not loaded."""
    function = rec.evidence.enclosing(read, cst.FunctionDef)
    text = cst.Module([]).code_for_node(read)
    for node in rec.evidence.parents:
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Attribute) and \
                cst.Module([]).code_for_node(node.target) == text and rec.evidence.enclosing(node, cst.FunctionDef) is function:
            return True
    return False


def _async_attrs_available(rec, entity) -> bool:
    index = rec.coloring.index
    for path, qualname in index.mro(entity[1], entity[2]):
        names = set(index.cls(path, qualname).base_names)
        if names & ASYNC_ATTRS:
            return True
        if names & DECLARATIVE_BASES and path in rec.coloring.migrated:
            return True  # F202 adds the mixin
    return False


def _unmigrated_base(rec, entity) -> tuple[str, str] | None:
    """The declarative base (file, class) of a model, when F202 would give it AsyncAttrs in a run that held it."""
    index = rec.coloring.index
    for path, qualname in index.mro(entity[1], entity[2]):
        if set(index.cls(path, qualname).base_names) & DECLARATIVE_BASES and path not in rec.coloring.migrated:
            return path, qualname
    return None


def _needs_parentheses(rec, node: cst.CSTNode) -> bool:
    parent = rec.evidence.parent(node)
    if isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node:
        return True
    return isinstance(parent, cst.Call) and parent.func is node


# -- F202 ------------------------------------------------------------------------------------------
def _declarative_base(rec, node: cst.ClassDef | cst.Name) -> None:
    """A module-level declarative base without AsyncAttrs whose models have lazy relationships.

    Decided on the class as the other families leave it, so that `check` reports `Base = declarative_base()`
    too when the E rules turn it into a `DeclarativeBase` subclass that `migrate` then gives the mixin."""
    name = node.name.value if isinstance(node, cst.ClassDef) else node.value
    facts = rec.summary.facts.classes.get(name)
    if facts is None or "." in facts.qualname:
        return
    if isinstance(node, cst.ClassDef) and {dotted_name(arg.value) for arg in node.bases} & ASYNC_ATTRS:
        return  # the class as it is now already has the mixin
    names = set(facts.base_names) | {b[1] for b in facts.bases if b is not None and b[0] == "name"}
    if not names & DECLARATIVE_BASES or names & ASYNC_ATTRS:
        return
    index = rec.coloring.index
    own = (rec.path, name)
    for path, summary in index.files.items():
        for qualname, model in summary.facts.classes.items():
            if any(not r.eager for r in model.relationships.values()) and own in index.mro(path, qualname):
                message = (f"declarative base `{name}` needs the AsyncAttrs mixin for `await obj.awaitable_attrs.rel` "
                           f"(`{qualname}` has lazy relationships)")
                data = AddAsyncAttrs(node) if isinstance(node, cst.ClassDef) else None
                rec.report("F202", node.name if isinstance(node, cst.ClassDef) else node, message, fixable=True,
                           data=data)
                return


def _module_assignment(rec, node: cst.Assign) -> None:
    if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and isinstance(
            rec.evidence.parent(rec.evidence.parent(node)), cst.Module):
        _declarative_base(rec, node.targets[0].target)


# -- F203 ------------------------------------------------------------------------------------------
def _session_factory(rec, node: cst.Call) -> None:
    if isinstance(node.func, cst.Call) or not rec.evidence.qualified(node.func) & ASYNC_FACTORIES:
        return  # (`async_sessionmaker(...)()` opens a session with the factory's settings)
    setting = next((arg for arg in node.args if arg.keyword is not None and arg.keyword.value == "expire_on_commit"),
                   None)
    if setting is None:
        rec.report("F203", node, "this async session factory expires objects on commit; reading them afterwards "
                                 "is implicit I/O", fixable=True, data=KeepAfterCommit(node))
    elif not (isinstance(setting.value, cst.Name) and setting.value.value == "False"):
        rec.report("F203", node, "objects are expired on commit on purpose",
                   reason="every object used after `commit()` needs `await db.refresh(obj)` first; sqlasync cannot "
                          "tell which ones are")


# -- F204 ------------------------------------------------------------------------------------------
def _rollback(rec, node: cst.Call) -> None:
    if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in EXPIRING and not node.args):
        return
    expression = rec.evidence.parent(node)
    expression = rec.evidence.parent(expression) if isinstance(expression, cst.Await) else expression
    statement = rec.evidence.parent(expression)
    block = rec.evidence.parent(statement)
    if not (isinstance(expression, cst.Expr) and isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1 and isinstance(block, cst.IndentedBlock)):
        return
    if rec.scanner.placement(node)[1] != "body" or not rec.will_be_async_here(node) \
            or not rec.scanner.is_session(node.func.value):
        return
    names = [name for name in _used_after(rec, statement) if name not in _refreshed_after(rec, statement, block)]
    if not names:
        return
    session = cst.Module([]).code_for_node(node.func.value)
    listed = ", ".join(f"`{name}`" for name in names)
    rec.report("F204", node, f"`{session}.{node.func.attr.value}()` expires {listed}, read afterwards: implicit I/O "
               "under asyncio",
               fixable=True, data=RefreshAfterRollback(statement, session, tuple(names)))


def _used_after(rec, statement: cst.SimpleStatementLine) -> list[str]:
    """ORM objects loaded before `statement` whose names are read in the code that follows it."""
    function = rec.evidence.enclosing(statement, cst.FunctionDef)
    index = rec.coloring.index
    found: list[str] = []
    following = list(_following(rec, statement, function))
    rebound = {id(node) for later in following for node in _walk(later)
               if isinstance(node, (cst.AssignTarget, cst.For, cst.CompFor, cst.AsName, cst.AnnAssign))}
    for later in following:
        for node in _walk(later):
            if not isinstance(node, cst.Name) or node.value in found or not _is_read(rec, node) \
                    or not isinstance(metadata_value(rec.evidence.scopes, node), FunctionScope):
                continue
            entity = index.resolve(rec.scanner.expr(node), rec.path)
            if entity is None or entity[0] != "instance" or not _is_model(index, entity):
                continue
            if any(_constructed(rec, value) for value in rec.scanner.bound_values(node)):
                continue  # new objects become transient on rollback: there is nothing to refresh
            if _bound_in(rec, node, rebound):
                continue  # (re)bound after the rollback: it holds a fresh object there
            found.append(node.value)
    return found


def _following(rec, statement: cst.CSTNode, function: cst.FunctionDef):
    """The statements after `statement` in its block, then after each enclosing statement, up to the function."""
    current = statement
    while current is not None and current is not function:
        block = rec.evidence.parent(current)
        if isinstance(block, (cst.IndentedBlock, cst.Module)):
            body = list(block.body)
            yield from body[body.index(current) + 1:]
        current = rec.evidence.parent(current)
        while current is not None and current is not function and not isinstance(
                rec.evidence.parent(current), (cst.IndentedBlock, cst.Module)):
            current = rec.evidence.parent(current)


def _bound_in(rec, name: cst.Name, binders: set[int]) -> bool:
    scope = metadata_value(rec.evidence.scopes, name)
    if scope is None or name.value not in scope:
        return False
    for assignment in scope[name.value]:
        if isinstance(assignment, Assignment):
            parent = rec.evidence.parent(assignment.node)
            if id(parent) in binders:
                return True
    return False


def _walk(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(children(current))


def _is_read(rec, name: cst.Name) -> bool:
    scope = metadata_value(rec.evidence.scopes, name)
    return scope is not None and name.value in scope and any(
        access.node is name for access in scope.accesses[name.value])


def _is_model(index, entity) -> bool:
    return any(index.cls(path, qualname).has_table for path, qualname in index.mro(entity[1], entity[2]))


def _constructed(rec, value: cst.BaseExpression) -> bool:
    if not isinstance(value, cst.Call):
        return False
    entity = rec.coloring.index.resolve(rec.scanner.expr(value.func), rec.path)
    return entity is not None and entity[0] == "class"


def _refreshed_after(rec, statement: cst.SimpleStatementLine, block: cst.IndentedBlock) -> set[str]:
    """Names already refreshed by the statements right after the rollback (a previous migrate wrote them)."""
    body = list(block.body)
    names: set[str] = set()
    for later in body[body.index(statement) + 1:]:
        call = _refresh_call(later)
        if call is None:
            break
        names.add(call)
    return names


def _refresh_call(statement: cst.CSTNode) -> str | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)):
        return None
    value = statement.body[0].value
    value = value.expression if isinstance(value, cst.Await) else value
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "refresh" \
            and len(value.args) == 1 and isinstance(value.args[0].value, cst.Name):
        return value.args[0].value.value
    return None


def _awaitable(read: cst.Attribute, parenthesize: bool) -> cst.Await:
    attribute = cst.Attribute(cst.Attribute(read.value, cst.Name("awaitable_attrs")), read.attr)
    return cst.Await(attribute, lpar=[cst.LeftParen()] if parenthesize else [],
                     rpar=[cst.RightParen()] if parenthesize else [])
