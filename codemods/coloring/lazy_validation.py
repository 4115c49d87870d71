"""F205: pydantic validation of an ORM object in code that is async after migration.

`Schema.model_validate(obj)` (pydantic 2, and `Schema.from_orm(obj)` in pydantic 1) reads every field of the
schema as an attribute of `obj`. The legacy code loaded whatever relationship was not loaded yet on that
read; under an `AsyncSession` the same read raises `MissingGreenlet`, and which relationships the schema
reads is often decided at run time (`self.schema`, a generic repository's type parameter), so no eager
load can be written for it. SQLAlchemy runs sync code that may lazy load through `AsyncSession.run_sync`,
in a greenlet where implicit I/O works; the validation moves there:

    return await self.session.run_sync(lambda _: self.schema.model_validate(new_document))

Only objects the function itself has from a session are judged (a statement's result, an object added to
or refreshed by the session, an instance of a repository model with lazy relationships): a schema
validated from a dict or a request body stays as it is, and so does anything sqlasync cannot trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from ..core.nodes import dotted_name, nodes_under

VALIDATORS = frozenset({"model_validate", "from_orm"})
# Session methods that hand the object they are given to the session (it is an ORM instance), or the objects
# of the collection they are given (`add_all(documents)`, validated one by one from a loop over it).
TAKES_OBJECT = frozenset({"add", "add_all", "refresh", "merge", "expunge", "delete"})


@dataclass(frozen=True)
class ValidateInGreenlet:
    """`X.model_validate(obj)` -> `await <session>.run_sync(lambda _: X.model_validate(obj))`; `expression` is the
    call, or the list or set comprehension that validates one object per element, which goes into the greenlet
    whole (one switch, and no lambda per element that reads the loop variable after the loop: flake8-bugbear's
    B023)."""

    expression: cst.BaseExpression
    session: str
    parenthesize: bool


def recognise(rec, node: cst.Call, sources, needs_parentheses, lazy_names: set[str]) -> None:
    """`sources(rec, expr)` are the expressions a value came from (lazy_loads.sources); `lazy_names` the names of
    the repository's lazy relationships."""
    if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in VALIDATORS and node.args
            and node.args[0].keyword is None) or not rec.will_be_async_here(node):
        return
    fields = _schema_fields(rec, node.func.value)
    if fields is not None and not fields & lazy_names:
        return  # a schema of the repository that reads no relationship: nothing to load
    comprehension = _validating_comprehension(rec, node)
    if isinstance(rec.evidence.parent(comprehension or node), cst.Lambda):
        return  # already the body of the `run_sync` lambda a previous run wrote
    function = rec.evidence.enclosing(node, cst.FunctionDef)
    session = _orm_origin(rec, node.args[0].value, sources) if function is not None else None
    if session is None:
        return
    text = cst.Module([]).code_for_node(node)
    message = (f"`{text}` validates an ORM object by reading its attributes: a relationship not loaded yet raises "
               "MissingGreenlet under asyncio")
    context = rec.scanner.placement(node)[1]
    if context != "body":
        rec.report("F205", node, message, reason=f"validated {context}, where `await` cannot go")
        return
    if not isinstance(node.args[0].value, cst.Name) or len(node.args) > 1 and not _plain(node.args[1:]):
        # The lambda cannot hold an `await` the rest of the migration may put into the argument.
        rec.report("F205", node, message, reason="validated from an expression: bind the object to a name first "
                   "and validate that name")
        return
    receiver = session if isinstance(session, str) else _session_in(rec, function)
    if receiver is None:
        rec.report("F205", node, message, reason="no session is at hand in this function to run the validation "
                   "with `await session.run_sync(...)`; load what the schema reads where the object is loaded")
        return
    validated = comprehension or node
    rec.report("F205", node, message + f"; run in `{receiver}.run_sync`, where lazy loads work", fixable=True,
               data=ValidateInGreenlet(validated, receiver, needs_parentheses(rec, validated)))


def _validating_comprehension(rec, call: cst.Call) -> cst.ListComp | cst.SetComp | None:
    """`[X.model_validate(x) for x in xs]` (or a set, or `X.model_validate(x).name`, with conditions that only
    compare names): the comprehension of one `for` over a name whose element is `call`, which can run in the
    greenlet whole: nothing in it will be awaited."""
    element: cst.BaseExpression = call
    parent = rec.evidence.parent(call)
    while isinstance(parent, cst.Attribute) and parent.value is element:
        element, parent = parent, rec.evidence.parent(parent)  # a field of the validated schema: plain data
    if not isinstance(parent, (cst.ListComp, cst.SetComp)) or parent.elt is not element:
        return None
    loop = parent.for_in
    if loop.inner_for_in is not None or loop.asynchronous is not None or not isinstance(loop.iter, cst.Name) \
            or not all(_compares_names(condition.test) for condition in loop.ifs):
        return None
    return parent


def _compares_names(test: cst.BaseExpression) -> bool:
    """`x is not None`, `a and not b`: names, constants and operators only, which read nothing from the database."""
    allowed = (cst.Name, cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation, cst.UnaryOperation,
               cst.BaseNumber, cst.SimpleString, cst.BaseCompOp, cst.BaseBooleanOp, cst.BaseUnaryOp,
               cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
               cst.LeftParen, cst.RightParen)
    return all(isinstance(node, allowed) for node in nodes_under(test))


def _orm_origin(rec, value: cst.BaseExpression, sources, depth: int = 0) -> str | bool | None:
    """Evidence that `value` is an ORM object: the session it came from (its code), True when it is one but the
    session is not known, None when nothing says so. An element of a list the function fills is judged by what
    it appends (one level deep)."""
    index = rec.coloring.index
    for source in sources(rec, value):
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Attribute) \
                and rec.scanner.is_session(source.func.value):
            return dotted_name(source.func.value) or True
        expr = rec.scanner.expr(source) if isinstance(source, (cst.Name, cst.Attribute, cst.Call)) else None
        entity = index.resolve(expr, rec.path) if expr is not None else None
        if entity is not None and entity[0] == "instance" and _lazy_model(index, entity):
            return True
        # An instance of a TypeVar bound to a repository model (`self.model(...)` in a generic repository): any
        # of the mapped subclasses.
        bound = index.bound_instance(expr, rec.path) if entity is None and expr is not None else None
        if bound is not None and any(_lazy_model(index, ("class", *cls)) for cls in (bound, *index.subclasses(*bound))):
            return True
        if isinstance(source, cst.Name):
            handed = _handed_to_session(rec, source)
            if handed is not None:
                return handed
            for appended in _appended_to(rec, source) if depth == 0 else ():
                found = _orm_origin(rec, appended, sources, depth + 1)
                if found is not None:
                    return found
    return None


def _appended_to(rec, name: cst.Name) -> list[cst.BaseExpression]:
    """The values the function appends to the list `name` holds (`updated.append(document)`)."""
    function = rec.evidence.enclosing(name, cst.FunctionDef)
    if function is None:
        return []
    pattern = m.Call(func=m.Attribute(value=m.Name(name.value), attr=m.OneOf(m.Name("append"), m.Name("add"))),
                     args=[m.Arg(keyword=None)])
    return [call.args[0].value for call in m.findall(function.body, pattern)]


def _schema_fields(rec, schema: cst.BaseExpression) -> set[str] | None:
    """The field names of the schema when it is a class of the repository (with its bases), else None."""
    index = rec.coloring.index
    entity = index.resolve(rec.scanner.expr(schema), rec.path)
    if entity is None or entity[0] != "class":
        return None
    return {name for path, qualname in index.mro(entity[1], entity[2])
            for name in (*index.cls(path, qualname).attributes, *index.cls(path, qualname).required)}


def _plain(args) -> bool:
    """Keyword arguments of constants (`from_attributes=True`): nothing in them can become an `await`."""
    return all(isinstance(arg.value, (cst.Name, cst.SimpleString, cst.Integer)) for arg in args)


def _lazy_model(index, entity) -> bool:
    return any(not relationship.eager for path, qualname in index.mro(entity[1], entity[2])
               for relationship in index.cls(path, qualname).relationships.values())


def _handed_to_session(rec, name: cst.Name) -> str | None:
    """`session.add(name)` / `session.refresh(name)` / `session.add_all(name)` in the same function: the session's
    code."""
    function = rec.evidence.enclosing(name, cst.FunctionDef)
    if function is None:
        return None
    return _session_in(rec, function, m.Call(func=m.Attribute(attr=m.OneOf(*map(m.Name, sorted(TAKES_OBJECT)))),
                                             args=[m.Arg(value=m.Name(name.value)), m.ZeroOrMore()]))


def _session_in(rec, function: cst.FunctionDef, call: m.Call = m.Call(func=m.Attribute())) -> str | None:
    """The first session the function calls a method of (`self.session.execute(...)`), in calls like `call`; for a
    method that calls none itself, the session its class's other methods use through `self` (a repository's
    `patch` that loads through `self._query_one()` has `self.session` as much as `update` has)."""
    for found in m.findall(function.body, call):
        if rec.scanner.is_session(found.func.value):
            return dotted_name(found.func.value)
    params = function.params.params
    cls = rec.evidence.enclosing(function, cst.ClassDef)
    if cls is None or not params or params[0].name.value != "self":
        return None
    own = m.Call(func=m.Attribute(value=m.Attribute(value=m.Name("self"))))
    for found in m.findall(cls.body, own):
        if rec.scanner.is_session(found.func.value):
            return dotted_name(found.func.value)
    return None


def plan(data: ValidateInGreenlet, edits) -> None:
    edits.replacements[id(data.expression)] = lambda updated, data=data: _in_greenlet(updated, data)


def _in_greenlet(validated: cst.BaseExpression, data: ValidateInGreenlet) -> cst.Await:
    validate = cst.Lambda(cst.Parameters([cst.Param(cst.Name("_"))]), validated.with_changes(lpar=[], rpar=[]))
    run = cst.Call(cst.Attribute(cst.parse_expression(data.session), cst.Name("run_sync")), [cst.Arg(validate)])
    parens = data.parenthesize or bool(validated.lpar)
    return cst.Await(run, lpar=[cst.LeftParen()] if parens else [], rpar=[cst.RightParen()] if parens else [])
