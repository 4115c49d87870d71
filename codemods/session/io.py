"""S: sync Session I/O that must be awaited (or moved) under AsyncSession."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import libcst as cst
import libcst.matchers as m

from ..core.await_sites import await_problem
from ..core.functions import _yields
from ..core.nodes import dotted_name
from ..core.receivers import ASYNC_SESSION_TYPES, Evidence, Kind
from ..core.family import Family, FileContext, Recogniser, session_hints
from ..core.rule import Match
from .safety import SafetyRecogniser
from .acquisition import closed_by_acquisition_block
from .fixture_sessions import closed_by_fixture_block
from .io_rewrite import rewrite
from .io_rules import (ASYNC_TWINS, COROUTINE_CONSUMERS, DEFAULT_TWIN, DYNAMIC_SQL_REASON, GENERIC_METHODS,
                       IO_METHODS, SQL_METHODS, SYNC_ANNOTATION, SYNC_BEGIN, SYNC_IO, SYNC_ONLY_SESSION_METHODS,
                       SYNC_TARGET, TRANSACTION_METHODS, AnnotationSite)


class SessionIORecogniser(Recogniser):
    rules = {r.code: r for r in (SYNC_IO, SYNC_ANNOTATION, SYNC_BEGIN)}

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._safety: SafetyRecogniser | None = None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in IO_METHODS:
            return
        parent = self.evidence.parent(node)
        if isinstance(parent, cst.Await):
            return
        method = func.attr.value
        evidence = self.evidence.session(func.value, strong_name=method not in GENERIC_METHODS)
        if evidence is None:
            return
        if evidence.kind is Kind.ASYNC_SESSION and _handed_on(self.context, node, parent):
            return
        if evidence.name_only and method in GENERIC_METHODS and not _plausible_session_call(method, node):
            return
        if method == "close" and (closed_by_fixture_block(self.evidence, node) or (
                self.context.target == "async" and closed_by_acquisition_block(self.context, node))):
            return
        receiver = dotted_name(func.value) or "session"
        message = f"`{receiver}.{method}()` is session I/O and must be awaited ({evidence.describe()})"
        if self._dynamic_sql(node):
            self.report("S101", node, message, reason=DYNAMIC_SQL_REASON)
            return
        self._report_awaitable("S101", node, message, data=_needs_parentheses(node, parent), evidence=evidence)

    def _dynamic_sql(self, call: cst.Call) -> bool:
        """SQL text built at run time (X101) is never rewritten, not even to await it: the rewrite would
        make the call look migrated while the injection risk stays."""
        if call.func.attr.value not in SQL_METHODS or not call.args:
            return False
        if self._safety is None:
            self._safety = SafetyRecogniser(self.context)
        argument = call.args[0].value
        if isinstance(argument, cst.Call) and dotted_name(argument.func) in ("text", "sqlalchemy.text", "sa.text") \
                and argument.args:
            argument = argument.args[0].value
        if isinstance(argument, cst.Name):
            argument = self._safety._local_value(argument) or argument
        return self._safety._dynamic_sql(argument) is not None

    def _report_awaitable(self, code: str, node: cst.CSTNode, message: str, data: object = None,
                          evidence: Evidence | None = None) -> None:
        problem = SYNC_TARGET[code] if self.context.target == "sync" else (
            (evidence.stays_sync if evidence is not None else None)
            or self._in_sync_get_db(node) or await_problem(self.context, node))
        self.report(code, node, message, fixable=problem is None, reason=problem, data=data)

    def _in_sync_get_db(self, node: cst.CSTNode) -> str | None:
        """A sync `get_db` generator is E105's to convert as a whole; awaiting inside it alone would make it
        an async generator around a session nobody closes properly."""
        function = self.evidence.enclosing(node, cst.FunctionDef)
        if function is not None and function.asynchronous is None and _yields(function) \
                and function.name.value in self.context.config.get_db_names:
            return f"part of the sync `{function.name.value}` dependency, which E105 converts as a whole"
        return None

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self._report_sync_session_type(node.annotation, "annotated with")

    def visit_Module(self, node: cst.Module) -> None:
        for alias, value in self.evidence.aliases.items():
            self._report_sync_session_type(value, f"type alias `{alias}` wraps")

    def _report_sync_session_type(self, annotation: cst.BaseExpression, what: str) -> None:
        candidates = self.evidence.annotation_parts(annotation)
        parts = [part for part in candidates if self.evidence.is_sync_session_type(part)]
        if not parts or any(self.evidence.qualified(part) & ASYNC_SESSION_TYPES for part in candidates):
            return  # (`AsyncSession | Session` takes either on purpose)
        message = f"{what} sync `{dotted_name(parts[0])}`"
        if self.context.target == "sync":
            self.report("S102", annotation, message, reason=SYNC_TARGET["S102"])
            return
        if self.evidence.is_alembic_revision():
            self.report("S102", annotation, message, reason="an Alembic revision runs synchronously on the connection "
                        "`op.get_bind()` hands it: its sessions stay sync (see F107)")
            return
        twins = tuple(self._twin(part) for part in parts)
        if isinstance(annotation, cst.SimpleString):
            site = AnnotationSite((), twins, annotation)
        else:
            site = AnnotationSite(tuple(parts), twins)
        self.report("S102", annotation, message, fixable=True, data=site)

    def _twin(self, part: cst.BaseExpression) -> tuple[str, str]:
        for name in sorted(self.evidence.qualified(part)):
            if name in ASYNC_TWINS:
                return ASYNC_TWINS[name]
        return DEFAULT_TWIN

    def leave_Module(self, original_node: cst.Module) -> None:
        """An annotation inside a function that keeps sync session I/O stays `Session`: that function goes on
        using the session synchronously, so turning its type to AsyncSession would half-convert it. So does one
        in a function that needs async but must stay sync (F107): what it hands its session to stays sync too,
        and async callers reach it through the compat bridge (F108), which passes a sync `Session`."""
        stuck: dict[int, str] = {}

        def keeps_io(function: cst.FunctionDef, reason: str | None) -> None:
            stuck.setdefault(id(function), f"`{function.name.value}` keeps sync session I/O ({reason}), so the "
                                           "session it uses stays a sync `Session`")

        self._fixed_with_get_db()
        for match in self.matches:
            if match.rule.code in ("S101", "S103") and not match.fixable:
                function = self.evidence.enclosing(match.node, cst.FunctionDef)
                if function is not None:
                    keeps_io(function, match.reason)
        for position, match in enumerate(self.matches):
            if match.rule.code != "S102" or not match.fixable:
                continue
            function = self.evidence.enclosing(match.node, cst.FunctionDef)
            if function is None:
                continue
            annotated = self.evidence.parent(self.evidence.parent(match.node))
            sync_only = _sync_only_use(function, annotated, lambda node: self.context.fixed_earlier(node, self))
            if sync_only is not None:
                stuck.pop(id(function), None)  # the first cause, not what follows from it
                keeps_io(function, f"`{sync_only}`, which AsyncSession does not have, is left by the rules that "
                                   "convert it")
                self._keep_sync_io_on(function, annotated.name.value, sync_only)
            if self.context.stuck_sync(function):
                stuck.setdefault(id(function), f"{self.context.async_blocker(function)}; what it hands its session "
                                               "to stays sync with it, so the session stays a sync `Session`")
            given = self.context.sync_session_giver(function)
            if given is not None and given[1] and id(function) not in stuck and match.data.string is None:
                # Handed a sync Session by one caller and maybe an AsyncSession by others: it takes either.
                self.matches[position] = replace(match, data=replace(match.data, either=True))
            elif given is not None:
                stuck.setdefault(id(function), f"`{function.name.value}` stays sync and `{given[0]}`, which keeps "
                                               "its sync session I/O, hands it its session: that stays a sync "
                                               "`Session`")
            if id(function) in stuck:
                self.matches[position] = replace(match, fixable=False, data=None, reason=stuck[id(function)])

    def _fixed_with_get_db(self) -> None:
        """Session I/O inside a sync `get_db` that E105 converts (its finding is on the function's name) is part
        of E105's site: that rewrite runs first and replaces it, so it is neither fixed by S nor left."""
        def absorbed(match: Match) -> bool:
            if match.rule.code not in ("S101", "S103") or match.fixable or self._in_sync_get_db(match.node) is None:
                return False
            return self.context.fixed_earlier(self.evidence.enclosing(match.node, cst.FunctionDef).name, self)

        self.matches = [match for match in self.matches if not absorbed(match)]

    def _keep_sync_io_on(self, function: cst.FunctionDef, parameter: str, sync_only: str) -> None:
        """The session a parameter stays (`Session`, for `param.query(...)` left behind) is used synchronously
        everywhere in the function: awaiting its other calls would half-convert the function."""
        for position, match in enumerate(self.matches):
            if match.rule.code not in ("S101", "S103") or match.reason == DYNAMIC_SQL_REASON:
                continue
            if self.evidence.enclosing(match.node, cst.FunctionDef) is not function:
                continue
            call = match.node
            receiver = call.func.value if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) else None
            if match.rule.code == "S103":
                item = call.items[0].item if isinstance(call, cst.With) else None
                receiver = item.func.value if isinstance(item, cst.Call) and isinstance(item.func, cst.Attribute) \
                    else item
            if dotted_name(receiver) == parameter:
                self.matches[position] = replace(match, fixable=False, data=None, reason=(
                    f"`{function.name.value}` keeps `{sync_only}`, which AsyncSession does not have, so `{parameter}` "
                    "stays a sync `Session`"))

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            return
        for item in node.items:
            call = item.item
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                "begin", "begin_nested"
            ):
                evidence = self.evidence.session(call.func.value)
                if evidence is not None and evidence.kind is not Kind.ASYNC_SESSION:
                    self._report_awaitable("S103", node, f"`with {dotted_name(call.func.value)}."
                                           f"{call.func.attr.value}()` must become `async with` "
                                           f"({evidence.describe()})", data=_transaction_calls(node, item),
                                           evidence=evidence)
                    return
            if isinstance(call, (cst.Name, cst.Attribute)) and len(node.items) == 1:
                # `with db as session:` enters a session someone else opened (a dependency's): it closes it at the
                # end, which an AsyncSession does with `async with`.
                evidence = self.evidence.session(call)
                if evidence is not None and evidence.kind is not Kind.ASYNC_SESSION:
                    self._report_awaitable("S103", node, f"`with {dotted_name(call)}` must become `async with` "
                                           f"({evidence.describe()})", data=(), evidence=evidence)
                    return


def _sync_only_use(function: cst.FunctionDef, annotated: cst.CSTNode | None,
                   fixed_earlier: Callable[[cst.CSTNode], bool]) -> str | None:
    """`param.query` (or another method only the sync Session has) on the parameter the annotation types, unless
    a family that rewrites before this one converts it (a Q101 query becomes `select()`)."""
    if not isinstance(annotated, cst.Param):
        return None
    name = annotated.name.value
    for attribute in m.findall(function.body, m.Attribute(value=m.Name(name))):
        if attribute.attr.value in SYNC_ONLY_SESSION_METHODS and not fixed_earlier(attribute):
            return f"{name}.{attribute.attr.value}"
    return None


def _transaction_calls(block: cst.With, item: cst.WithItem) -> tuple[cst.Call, ...]:
    """`tx.commit()` / `tx.rollback()` on the transaction the block binds (`as tx`): coroutines too."""
    if item.asname is None or not isinstance(item.asname.name, cst.Name):
        return ()
    name = item.asname.name.value
    return tuple(m.findall(block.body, m.Call(func=m.Attribute(value=m.Name(name), attr=m.OneOf(
        *(m.Name(method) for method in sorted(TRANSACTION_METHODS)))))))


def _plausible_session_call(method: str, call: cst.Call) -> bool:
    """Shape checks for generic names: `db.get(Model, pk)`, `db.delete(obj)`, `db.execute(stmt)`."""
    positional = [a for a in call.args if a.keyword is None]
    if method == "get":
        first = dotted_name(positional[0].value) if positional else None
        return len(positional) >= 2 and bool(first) and first.split(".")[-1][:1].isupper()
    if method in ("delete", "merge", "refresh", "execute", "scalar", "scalars", "stream", "run_sync"):
        return len(positional) >= 1
    return True


def _handed_on(context: FileContext, call: cst.Call, parent: cst.CSTNode | None) -> bool:
    """On an AsyncSession an un-awaited call is a bug unless the coroutine is handed to something that
    awaits it (`asyncio.gather(db.commit(), ...)`, `create_task(...)`), or returned by a function that
    stays sync (its callers await the coroutine)."""
    evidence = context.evidence
    if isinstance(parent, cst.Arg):
        receiver = evidence.parent(parent)
        name = dotted_name(receiver.func) if isinstance(receiver, cst.Call) else None
        return bool(name) and name.split(".")[-1] in COROUTINE_CONSUMERS
    if isinstance(parent, cst.Lambda):
        return True
    if isinstance(parent, (cst.Return, cst.Yield)):
        function = evidence.enclosing(call, cst.FunctionDef)
        return function is None or not context.will_be_async(function)
    return False


def _needs_parentheses(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """`await x` must be parenthesised where it is followed by `.attr`, `[...]` or `(...)`."""
    return (isinstance(parent, cst.Attribute) and parent.value is node) or (
        isinstance(parent, cst.Subscript) and parent.value is node) or (
        isinstance(parent, cst.Call) and parent.func is node)


FAMILY = Family(
    prefix="S",
    name="session",
    rules=(SYNC_IO, SYNC_ANNOTATION, SYNC_BEGIN),
    recogniser=SessionIORecogniser,
    triggers=lambda config: (
        (rb"\.\s*(?:" + b"|".join(method.encode() for method in sorted(IO_METHODS | {"begin", "begin_nested"})) + rb")\s*\(",
         session_hints(config)),
        (rb"\bSession\b",),
    ),
    rewrite=rewrite,
)
