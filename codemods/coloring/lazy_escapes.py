"""F201 for ORM objects that outlive their session block.

A function that returns an object loaded (or refreshed) inside `async with SessionLocal() as db:` hands
its caller a detached object: whatever relationship was not loaded when the block closed can never be
loaded afterwards (`DetachedInstanceError`), and nothing in the function reads it, so the read-site half
of F201 never sees it. The sync code usually got away with it because its session leaked. The readers are
elsewhere (a `@property` of the model, a caller, a response model serialising it), so which relationships
must be loaded is decided over the whole repository: every lazy relationship of the class that some code
reads on its instances, that the class's own methods read on `self`, or that a pydantic model names as a
field (directly, or through a property of the class that reads it) unless that model requires a field the
class does not have, so that it can never be validated from one. That over-approximates what the caller
reads, which costs a query, never correctness.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import lazy_sources
from ..core.orm_statements import loaded_by

PYDANTIC_MODELS = frozenset({"BaseModel", "pydantic.BaseModel", "pydantic.main.BaseModel"})
# Bases of ORM classes known not to give their instances fields a response model could read.
KNOWN_BASE_MODULES = ("sqlalchemy.", "builtins.")


@dataclass(frozen=True)
class LoadBeforeClose:
    """Insert `await <session>.refresh(<name>, [<relationships>])` after (or before) `statement`."""

    statement: cst.SimpleStatementLine | cst.BaseCompoundStatement
    session: str
    name: str
    relationships: tuple[str, ...]
    before: bool


def recognise(rec) -> None:
    for node in rec.evidence.parents:
        if isinstance(node, cst.Return) and node.value is not None and rec.will_be_async_here(node):
            _escape(rec, node)


def _escape(rec, ret: cst.Return) -> None:
    index = rec.coloring.index
    found = _session_block(rec, ret)
    if found is None or not isinstance(ret.value, cst.Name):
        # A statement's result returned as it is. Outside a block the session stays open (a parameter, a
        # dependency): readers that can await get `awaitable_attrs` where they read, sync readers cannot.
        _eager(rec, ret.value, found is not None)
        return
    block, session, inside = found
    name = ret.value
    entity = index.resolve(rec.scanner.expr(name), rec.path)
    if entity is None or entity[0] != "instance" or not _is_model(index, entity):
        return
    body = list(block.body.body)
    limit = _top_statement(rec, ret, block) if inside else None
    statements = body[:body.index(limit)] if limit is not None else body
    # The refresh must follow the binding of the name it refreshes.
    bound = [body.index(_top_statement(rec, value, block)) for value in rec.scanner.bound_values(name)
             if _within(rec, value, block)]
    statements = statements[max(bound) + 1:] if bound else statements
    last, covered = _last_write(statements, session.value, name.value)
    line = rec.evidence.parent(ret)
    holder = rec.evidence.parent(line)
    if inside and isinstance(holder, cst.IndentedBlock) and holder is not block.body:
        siblings = list(holder.body)
        covered |= _last_write(siblings[:siblings.index(line)], session.value, name.value)[1]
    missing = tuple(r for r in read_relationships(index, entity)[0] if r not in covered)
    if not missing:
        return
    message = _message(name, entity, missing, f"leaves the `{session.value}` session block detached")
    if last is not None:
        data = LoadBeforeClose(last, session.value, name.value, missing, before=False)
    elif not inside:
        data = LoadBeforeClose(body[-1], session.value, name.value, missing, before=False)
    elif isinstance(line, cst.SimpleStatementLine) and isinstance(holder, cst.IndentedBlock):
        data = LoadBeforeClose(line, session.value, name.value, missing, before=True)
    else:
        rec.report("F201", name, message, reason="the return shares its line with other code: put "
                   f"`await {session.value}.refresh({name.value}, [...])` before it by hand")
        return
    rec.report("F201", name, message + "; refreshed with them before the block closes", fixable=True, data=data)


def _within(rec, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    current = rec.evidence.parent(node)
    while current is not None and current is not ancestor:
        current = rec.evidence.parent(current)
    return current is ancestor


def _eager(rec, value: cst.BaseExpression, detached: bool) -> None:
    """Returned straight from the statement that loads it: the statement loads what its readers need."""
    index = rec.coloring.index
    if isinstance(value, cst.Name):
        origin = lazy_sources.origin(rec, value)
    else:  # the statement's result itself, not something computed from it (`len(rows)`)
        origin = loaded_by(value, rec.scanner.is_session, rec.scanner.bound_values)
    if origin is None or origin.kind == "get":
        return
    model = index.resolve(rec.scanner.expr(origin.model), rec.path)
    if model is None or model[0] != "class":
        return
    entity = ("instance", model[1], model[2])
    if isinstance(value, cst.Name) and index.resolve(rec.scanner.expr(value), rec.path) != entity:
        return
    every, sync = read_relationships(index, entity)
    wanted = every if detached else sync
    sources = [*lazy_sources.sources(rec, value), _chain(rec, origin.anchor)]
    missing = [r for r in wanted if not any(lazy_sources.loads(rec, source, r) for source in sources)]
    how = "leaves its session block detached" if detached else "is returned to code that reads it synchronously"
    for relationship in missing:
        rec.report("F201", value, _message(value, entity, (relationship,), how)
                   + "; loaded eagerly by the statement that loads it", fixable=True,
                   data=lazy_sources.EagerLoad(origin, relationship))


def _chain(rec, anchor: cst.Call) -> cst.BaseExpression:
    """The whole method chain the statement starts (`select(M).options(...).where(...)`): its loader options."""
    current = anchor
    while True:
        parent = rec.evidence.parent(current)
        if isinstance(parent, cst.Attribute) and parent.value is current or \
                isinstance(parent, cst.Call) and parent.func is current:
            current = parent
        else:
            return current


def _message(value: cst.BaseExpression, entity, relationships, how: str) -> str:
    model = entity[2].rsplit(".", 1)[-1]
    listed = ", ".join(f"`{model}.{r}`" for r in relationships)
    verb = "is" if len(relationships) == 1 else "are"
    text = cst.Module([]).code_for_node(value)
    return (f"`{text}` {how}, and {listed} {verb} read on {model} objects elsewhere (a property, a caller or a "
            "response model): a lazy load there raises DetachedInstanceError or MissingGreenlet")


def _is_model(index, entity) -> bool:
    return any(index.cls(path, qualname).has_table for path, qualname in index.mro(entity[1], entity[2]))


def _session_block(rec, ret: cst.Return):
    """The `async with <factory>() as <session>:` block the object escapes from, its session, and whether
    the return sits inside it (else the object was bound inside it and the return follows it)."""
    function = rec.evidence.enclosing(ret, cst.FunctionDef)
    found = _block_around(rec, ret, function)
    if found is not None:
        return (*found, True)
    bound = rec.scanner.bound_values(ret.value) if isinstance(ret.value, cst.Name) else []
    for value in bound:
        found = _block_around(rec, value, function)
        if found is not None:
            return (*found, False)
    return None


def _block_around(rec, node: cst.CSTNode, function: cst.FunctionDef | None):
    """The innermost session block of `function` that holds `node`, and its session."""
    current = rec.evidence.parent(node)
    while current is not None and current is not function:
        session = _session_of(rec, current)
        if session is not None:
            return current, session
        current = rec.evidence.parent(current)
    return None


def _session_of(rec, node: cst.CSTNode) -> cst.Name | None:
    if not (isinstance(node, cst.With) and node.asynchronous is not None and len(node.items) == 1
            and isinstance(node.body, cst.IndentedBlock)):
        return None
    item = node.items[0]
    if not (isinstance(item.item, cst.Call) and item.asname is not None and isinstance(item.asname.name, cst.Name)):
        return None
    return item.asname.name if rec.scanner.is_session(item.asname.name) else None


def _top_statement(rec, node: cst.CSTNode, block: cst.With) -> cst.CSTNode:
    current = node
    while rec.evidence.parent(rec.evidence.parent(current)) is not block:
        current = rec.evidence.parent(current)
    return current


def _last_write(statements, session: str, name: str):
    """The last top-level `await <session>.commit()` / `.refresh(<name>)` statement, and the relationships
    refreshed by name since then (what an earlier migrate inserted)."""
    last, covered = None, set()
    for statement in statements:
        call = _awaited_call(statement, session)
        if call is None:
            continue
        method, args = call
        if method == "commit":
            last, covered = statement, set()
        elif method == "refresh" and args and isinstance(args[0].value, cst.Name) and args[0].value.value == name:
            names = _string_list(args[1].value) if len(args) > 1 else None
            if names is None:
                last, covered = statement, set()
            else:
                covered |= names
    return last, covered


def _awaited_call(statement: cst.CSTNode, session: str):
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.Await)):
        return None
    call = statement.body[0].value.expression
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) \
            and call.func.value.value == session:
        return call.func.attr.value, call.args
    return None


def _string_list(node: cst.BaseExpression) -> set[str] | None:
    if not isinstance(node, (cst.List, cst.Tuple)):
        return None
    names = set()
    for element in node.elements:
        if not isinstance(element.value, cst.SimpleString):
            return None
        names.add(element.value.evaluated_value)
    return names


def read_relationships(index, entity) -> tuple[list[str], list[str]]:
    """The lazy relationships of the class `entity` is an instance of that the repository reads."""
    key = ("_escaping_reads", entity[1], entity[2])
    if key not in index.memo:
        index.memo[key] = _read_relationships(index, entity)
    return index.memo[key]


def _read_relationships(index, entity) -> tuple[list[str], list[str]]:
    """(read anywhere, read by code that cannot await: properties of the class and pydantic models)."""
    lazy: dict[str, None] = {}
    lineage = index.mro(entity[1], entity[2])
    for path, qualname in lineage:
        for name, relationship in index.cls(path, qualname).relationships.items():
            if not relationship.eager:
                lazy.setdefault(name)
    if not lazy:
        return [], []
    own = tuple(f"{qualname}." for _, qualname in lineage)
    read: set[str] = set()
    sync: set[str] = set()
    # What each method of the class (properties included) reads on `self`, by method name.
    through: dict[str, set[str]] = {}
    for path, summary in index.files.items():
        for attribute in summary.facts.reads:
            if attribute.name not in lazy or attribute.kind not in ("load", "by-name"):
                continue
            expr = attribute.receiver
            if expr is not None and expr[0] == "attr" and expr[2] == "awaitable_attrs":
                expr = expr[1]  # `await obj.awaitable_attrs.rel`, as F201 writes reads that can await
            receiver = index.resolve(expr, path)
            if receiver is None or receiver[0] != "instance" or (receiver[1], receiver[2]) not in lineage:
                continue
            read.add(attribute.name)
            if expr[0] == "self" and attribute.owner and attribute.owner.startswith(own):
                through.setdefault(attribute.owner.rsplit(".", 1)[-1], set()).add(attribute.name)
                sync.add(attribute.name)
    names = _attribute_names(index, lineage)
    for summary in index.files.values():
        for qualname, facts in summary.facts.classes.items():
            if _is_pydantic(index, summary.path, qualname) and _validates_from(index, summary.path, qualname, names):
                for field in facts.attributes:
                    sync |= ({field} & lazy.keys()) | through.get(field, set())
    read |= sync
    return [name for name in lazy if name in read], [name for name in lazy if name in sync]


def _attribute_names(index, lineage) -> set[str] | None:
    """Every name an instance of the class has (columns, relationships, methods, properties, attributes), or
    None when a base outside the repository and outside SQLAlchemy may add names nobody can see."""
    names: set[str] = set()
    for path, qualname in lineage:
        facts = index.cls(path, qualname)
        for base in facts.bases:
            resolved = index.resolve(base, path) if base is not None else None
            if resolved is not None and resolved[0] == "class":
                continue
            if base is None or base[0] != "name" or not base[1].startswith(KNOWN_BASE_MODULES):
                return None
        names |= facts.attributes.keys() | facts.relationships.keys() | facts.methods.keys()
    return names


def _validates_from(index, path: str, qualname: str, names: set[str] | None) -> bool:
    """Whether the pydantic model could be validated from an instance with these attribute names (pydantic's
    `from_attributes`, which FastAPI uses for every response model): never when it requires a field the
    instance does not have. A response model built by hand (`ResultsOut(job=..., clips=...)`) whose
    `clips` field happens to share a relationship's name does not read that relationship."""
    if names is None:
        return True
    return all(field in names for p, q in index.mro(path, qualname) for field in index.cls(p, q).required)


def _is_pydantic(index, path: str, qualname: str) -> bool:
    return any(set(index.cls(p, q).base_names) & PYDANTIC_MODELS for p, q in index.mro(path, qualname))


def plan(data: LoadBeforeClose, edits) -> None:
    listed = ", ".join(f'"{r}"' for r in data.relationships)
    line = f"await {data.session}.refresh({data.name}, [{listed}])"

    def insert(updated, line=line, before=data.before):
        statement = cst.parse_statement(line)
        return cst.FlattenSentinel([statement, updated] if before else [updated, statement])

    edits.replacements[id(data.statement)] = insert
