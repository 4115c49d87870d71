"""Apply the D plans of one file: session blocks, `Depends(get_db)` parameters, unregistered factories."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ScopeProvider

from ..core import imports
from ..core.blank_lines import definitions_spaced_from_imports
from .acquisition_plan import Opener, ToAsyncWith, ToBlock, ToParameter, Unregister
from ..core.family import FileContext
from .fixture_adoption import AdoptedHandout, SyncFace, SyncQuery
from .fixture_sessions import FixtureHandout
from .fixture_sessions_rewrite import own_handout
from ..core.rule import Match
from ..core.session_sources import drop_unused_imports

SESSION_TYPES = {
    "async": (imports.Import("sqlalchemy.ext.asyncio", "AsyncSession"), ("sqlalchemy.ext.asyncio.session.AsyncSession",)),
    "sync": (imports.Import("sqlalchemy.orm", "Session"), ("sqlalchemy.orm.session.Session",)),
}
DEPENDS = (imports.Import("fastapi", "Depends"), ("fastapi.param_functions.Depends",))
# Longer `def` lines get one parameter per line; comments left by the rewrite wrap at NOTE_WIDTH.
LINE_LIMIT = 100
NOTE_WIDTH = 96
_INDENT = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace("    "))
_DEDENT = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))
ADOPT_SESSION = (imports.Import("sqlasync.compat", "adopt_session"), ("sqlasync.compat.adopted.adopt_session",))
CONTEXT_MANAGERS = {"async": imports.Import("contextlib", "asynccontextmanager"),
                    "sync": imports.Import("contextlib", "contextmanager")}


def rewrite(context: FileContext, matches: list[Match]) -> cst.Module:
    module = context.wrapper.module
    scopes = context.wrapper.resolve(ScopeProvider)
    plans = [match.data for match in matches]
    parameters = [p for p in plans if isinstance(p, ToParameter)]
    blocks = [p for p in plans if isinstance(p, ToBlock)]
    renamed = [p.statement for p in plans if isinstance(p, ToAsyncWith) and p.rename] + [
        p.binding.statement for p in blocks if p.opener.rename] + [
        p.fixture for p in plans if isinstance(p, FixtureHandout) and p.rename]

    def spelled(wanted: tuple[imports.Import, tuple[str, ...]], sites: Sequence[cst.CSTNode]) -> imports.Spelling | None:
        return imports.spell(module, scopes, wanted[0], sites, wanted[1]) if sites else None

    session_type = spelled(SESSION_TYPES[context.target], [p.binding.function for p in parameters] + renamed)
    depends = spelled(DEPENDS, [p.binding.function for p in parameters])
    entering = [p.binding.statement for p in blocks if p.opener.context]
    context_manager = spelled((CONTEXT_MANAGERS[context.target], ()), entering)
    adopt = spelled(ADOPT_SESSION, [p.fixture for p in plans if isinstance(p, AdoptedHandout)])
    applier = _Apply(plans, context.target == "async", session_type, depends, context_manager, adopt)
    updated = module.visit(applier)
    needed = [s.needs for s in (session_type, depends, context_manager, adopt) if s is not None and s.needs is not None]
    needed += [p.get_db.needs for p in parameters if p.get_db.needs is not None]
    needed += [p.opener.factory.needs for p in blocks if p.opener.factory and p.opener.factory.needs is not None]
    updated = imports.add_imports(updated, needed)
    updated = drop_unused_imports(updated, applier.dropped_names - context.imported_by_others())
    return definitions_spaced_from_imports(module, updated)


class _Apply(cst.CSTTransformer):
    def __init__(self, plans: list[object], asynchronous: bool, session_type: imports.Spelling | None,
                 depends: imports.Spelling | None, context_manager: imports.Spelling | None,
                 adopt: imports.Spelling | None = None) -> None:
        super().__init__()
        self.adopt = adopt.text if adopt else ""
        # What fixtures hand out that their async users get through `adopt_session(...)` (AdoptedHandout).
        self.adopted = {id(value) for p in plans if isinstance(p, AdoptedHandout) for value in p.handouts}
        # Sync users of such fixtures: their parameter's uses go to its sync face (SyncFace).
        self.sync_faces = {id(p.function): p for p in plans if isinstance(p, SyncFace)}
        self.renamed = {use: p.renamed for p in plans if isinstance(p, SyncFace) for use in p.uses}
        self.sync_query_receivers = {id(p.receiver) for p in plans if isinstance(p, SyncQuery)}
        self.asynchronous = asynchronous
        self.session_type = session_type.text if session_type else ""
        self.depends = depends.text if depends else ""
        self.context_manager = context_manager.text if context_manager else ""
        self.blocks = {id(p.binding.statement): p for p in plans if isinstance(p, ToBlock)}
        self.withs = {id(p.statement): p for p in plans if isinstance(p, ToAsyncWith)}
        self.fixtures = {id(p.fixture): p for p in plans if isinstance(p, FixtureHandout)}
        self.parameters: dict[int, list[ToParameter]] = {}
        self.notes: dict[int, str] = {}
        self.removed: set[int] = set()
        for plan in plans:
            if isinstance(plan, ToParameter):
                self.parameters.setdefault(id(plan.binding.function), []).append(plan)
                self.removed.add(id(plan.binding.statement))
            elif isinstance(plan, Unregister):
                self.removed.add(id(plan.statement))
                self.notes[id(plan.statement)] = plan.note
            if isinstance(plan, (ToParameter, ToBlock)):
                self.removed.update(id(close) for close in plan.binding.closes)
        self.results: dict[int, object] = {}
        self.dropped_names: set[str] = set()
        self._record_dropped(plans)

    def _record_dropped(self, plans: list[object]) -> None:
        for plan in plans:
            if isinstance(plan, (ToParameter, Unregister)):
                statement = plan.binding.statement if isinstance(plan, ToParameter) else plan.statement
                self.dropped_names |= {n.value for n in m.findall(statement, m.Name())}
            elif isinstance(plan, ToBlock) and plan.opener.factory is not None:
                self.dropped_names |= {n.value for n in m.findall(plan.binding.statement, m.Name())}
            elif isinstance(plan, (ToAsyncWith, FixtureHandout)) and plan.rename:
                self.dropped_names.add("Session")
            if isinstance(plan, ToBlock) and plan.opener.rename:
                self.dropped_names.add("Session")

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        result = super().on_leave(original, updated)
        if id(original) in self.adopted:
            result = cst.Call(cst.parse_expression(self.adopt), [cst.Arg(result)])
        if isinstance(original, cst.BaseStatement):
            self.results[id(original)] = result
        return result

    # -- statements ---------------------------------------------------------------------------
    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body, footer = self._statements(original.body)
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()], leading_lines=footer)]
            footer = []
        return updated.with_changes(body=body, footer=[*footer, *updated.footer])

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body, footer = self._statements(original.body)
        return updated.with_changes(body=body, footer=[*footer, *updated.footer])

    def _statements(self, originals: Sequence[cst.BaseStatement]) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        """The rebuilt statements of one block, and comment lines left over for its footer."""
        output: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        index = 0
        while index < len(originals):
            statement = originals[index]
            key = id(statement)
            if key in self.removed:
                carried += [line for line in statement.leading_lines if line.comment is not None]
                if key in self.notes:
                    carried += [cst.EmptyLine(comment=cst.Comment(f"# {line}"))
                                for line in textwrap.wrap(self.notes[key], NOTE_WIDTH)]
                index += 1
                continue
            if key in self.blocks:
                plan = self.blocks[key]
                end = self._span_end(originals, index)
                results = [self._block(plan, originals[index + 1:end + 1])]
                index = end + 1
            else:
                results = _flatten(self.results.get(key, statement))
                index += 1
            for result in results:
                if carried:
                    result = result.with_changes(leading_lines=[*carried, *result.leading_lines])
                    carried = []
                output.append(result)
        return output, carried

    def _span_end(self, originals: Sequence[cst.BaseStatement], index: int) -> int:
        """Index of the last statement the block opened at `index` holds; a session opened inside it whose
        uses run on past that end takes the block along (their blocks nest, they cannot overlap)."""
        end, scanned = index, index
        pending = [index]
        while pending:
            plan = self.blocks[id(originals[pending.pop()])]
            if plan.last is not None:
                end = max(end, next(i for i, s in enumerate(originals) if s is plan.last))
            for inner in range(scanned + 1, end + 1):
                if id(originals[inner]) in self.blocks:
                    pending.append(inner)
            scanned = max(scanned, end)
        return end

    def _block(self, plan: ToBlock, span: Sequence[cst.BaseStatement]) -> cst.With:
        statement = plan.binding.statement
        body, footer = self._statements(span)
        if not body:
            body, footer = [cst.SimpleStatementLine([cst.Pass()], leading_lines=footer)], []
        item = cst.WithItem(self._opener(plan.opener), asname=cst.AsName(cst.Name(plan.binding.name)))
        return cst.With(
            items=[item],
            body=cst.IndentedBlock(body=body, header=statement.trailing_whitespace, footer=footer),
            asynchronous=cst.Asynchronous() if self.asynchronous else None,
            leading_lines=statement.leading_lines,
        )

    def _opener(self, opener: Opener) -> cst.BaseExpression:
        call = opener.call
        if opener.factory is not None:
            return cst.Call(cst.parse_expression(opener.factory.name))
        if opener.context:
            return call.with_changes(func=cst.Call(cst.parse_expression(self.context_manager), [cst.Arg(call.func)]))
        if opener.rename:
            return call.with_changes(func=cst.parse_expression(self.session_type))
        return call

    def leave_Try(self, original: cst.Try, updated: cst.Try):
        if original.finalbody is None or not all(id(s) in self.removed for s in original.finalbody.body.body):
            return updated
        if updated.handlers:
            return updated.with_changes(finalbody=None)
        statements = list(updated.body.body)
        statements[0] = statements[0].with_changes(leading_lines=[*updated.leading_lines, *statements[0].leading_lines])
        return cst.FlattenSentinel(statements)

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        plan = self.withs.get(id(original))
        if plan is None:
            return updated
        if plan.rename:
            item = updated.items[0]
            updated = updated.with_changes(items=[item.with_changes(
                item=item.item.with_changes(func=cst.parse_expression(self.session_type)))])
        return updated.with_changes(asynchronous=cst.Asynchronous())

    # -- parameters ---------------------------------------------------------------------------
    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if id(original) in self.sync_query_receivers:
            return cst.Attribute(updated, cst.Name("sync_session"))
        renamed = self.renamed.get(id(original))
        return updated.with_changes(value=renamed) if renamed is not None else updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        face = self.sync_faces.get(id(original))
        if face is not None:
            updated = _with_sync_face(updated, face)
        handout = self.fixtures.get(id(original))
        if handout is not None:
            opener = handout.acquire
            if handout.rename:
                opener = opener.with_changes(func=cst.parse_expression(self.session_type))
            return own_handout(updated, handout, opener, self.asynchronous)
        for plan in self.parameters.get(id(original), []):
            param = cst.Param(
                cst.Name(plan.binding.name),
                annotation=cst.Annotation(cst.parse_expression(self.session_type)),
                equal=cst.AssignEqual(),
                default=cst.Call(cst.parse_expression(self.depends), [cst.Arg(cst.parse_expression(plan.get_db.name))]),
            )
            updated = updated.with_changes(params=_with_parameter(updated.params, param))
        if original.params is not updated.params and _header_too_long(original, updated):
            updated = updated.with_changes(params=_one_parameter_per_line(updated.params),
                                           whitespace_before_params=_INDENT)
        return updated


def _with_sync_face(function: cst.FunctionDef, face: SyncFace) -> cst.FunctionDef:
    """`sync_session = session.sync_session` first in the body (after its docstring)."""
    statements = list(function.body.body)
    first = 1 if statements and m.matches(statements[0], m.SimpleStatementLine([m.Expr(m.SimpleString())])) else 0
    binding = cst.parse_statement(f"{face.renamed} = {face.name}.sync_session\n")
    statements.insert(first, binding)
    return function.with_changes(body=function.body.with_changes(body=statements))


def _header_too_long(original: cst.FunctionDef, updated: cst.FunctionDef) -> bool:
    """A `def` line that fitted and no longer does once the parameter is added."""
    code = cst.Module([]).code_for_node(updated.params)
    was = cst.Module([]).code_for_node(original.params)
    length = len("def ") + len(updated.name.value) + len(code) + len("():")
    return "\n" not in was and length > LINE_LIMIT


def _one_parameter_per_line(params: cst.Parameters) -> cst.Parameters:
    """Every parameter on its own line, with a trailing comma (only plain and keyword-only parameter lists)."""
    def laid(group: Sequence[cst.Param], last_group: bool) -> list[cst.Param]:
        return [p.with_changes(comma=cst.Comma(whitespace_after=_DEDENT if last_group and i == len(group) - 1 else _INDENT))
                for i, p in enumerate(group)]
    star = params.star_arg
    if isinstance(star, cst.ParamStar):
        star = star.with_changes(comma=cst.Comma(whitespace_after=_INDENT))
    elif isinstance(star, cst.Param):
        star = star.with_changes(comma=cst.Comma(whitespace_after=_INDENT if params.kwonly_params else _DEDENT))
    return params.with_changes(
        posonly_params=laid(params.posonly_params, False), params=laid(params.params, not params.kwonly_params
                                                                       and star is cst.MaybeSentinel.DEFAULT),
        star_arg=star, kwonly_params=laid(params.kwonly_params, True))


def _flatten(result: object) -> list[cst.BaseStatement]:
    if isinstance(result, cst.FlattenSentinel):
        return list(result.nodes)
    if isinstance(result, cst.RemovalSentinel):
        return []
    return [result]


def _with_parameter(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    """`param` (which has a default) last among the positional parameters, or keyword-only after `*`."""
    if isinstance(params.star_arg, cst.Param) or params.kwonly_params or isinstance(params.star_arg, cst.ParamStar):
        return params.with_changes(kwonly_params=_appended(list(params.kwonly_params), param, params.star_kwarg is not None))
    return params.with_changes(params=_appended(list(params.params), param, bool(params.star_kwarg)))


def _appended(existing: list[cst.Param], param: cst.Param, more_follow: bool) -> list[cst.Param]:
    """Append keeping the layout: one per line (with the trailing comma) when the list is laid out that way."""
    if not existing:
        return [param.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if more_follow else param]
    last = existing[-1]
    if isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace):
        between = existing[-2].comma if len(existing) > 1 and isinstance(existing[-2].comma, cst.Comma) else last.comma
        return [*existing[:-1], last.with_changes(comma=between), param.with_changes(comma=last.comma)]
    if isinstance(last.comma, cst.Comma):
        return [*existing, param.with_changes(comma=last.comma)]
    return [*existing[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            param.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if more_follow else param]
