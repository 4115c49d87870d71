"""Apply the E plans of one file: async engine, session factory, declarative base, schema creation,
the get_db dependency and Alembic's env.py."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ScopeProvider

from . import async_url
from ..core import imports
from .alembic_env import AlembicPlan, rewrite_env
from ..core.blank_lines import definitions_spaced_from_imports, two_blank_lines
from .plan import CreateAllPlan, DeclarativePlan, EnginePlan, SessionmakerPlan, SyncSessionFrom
from .engine_calls_plan import AsyncEngineAnnotation, RegistryBind, SyncTwinConnection
from .engine_calls_rewrite import EngineCallRewrite
from ..core.family import FileContext
from ..session import FixtureHandout, own_handout
from .get_db_template import GetDbPlan, render
from ..core.rule import Match
from ..core.session_sources import drop_unused_imports

THREAD_POOL = imports.Import("concurrent.futures", "ThreadPoolExecutor")
NAMES = {
    "create_async_engine": (imports.Import("sqlalchemy.ext.asyncio", "create_async_engine"),
                            ("sqlalchemy.ext.asyncio.engine.create_async_engine",)),
    "AsyncAdaptedQueuePool": (imports.Import("sqlalchemy.pool", "AsyncAdaptedQueuePool"),
                              ("sqlalchemy.AsyncAdaptedQueuePool", "sqlalchemy.pool.impl.AsyncAdaptedQueuePool")),
    "async_sessionmaker": (imports.Import("sqlalchemy.ext.asyncio", "async_sessionmaker"),
                           ("sqlalchemy.ext.asyncio.session.async_sessionmaker",)),
    "DeclarativeBase": (imports.Import("sqlalchemy.orm", "DeclarativeBase"), ("sqlalchemy.orm.decl_api.DeclarativeBase",)),
    "AsyncSession": (imports.Import("sqlalchemy.ext.asyncio", "AsyncSession"),
                     ("sqlalchemy.ext.asyncio.session.AsyncSession",)),
    "async_engine_from_config": (imports.Import("sqlalchemy.ext.asyncio", "async_engine_from_config"),
                                 ("sqlalchemy.ext.asyncio.engine.async_engine_from_config",)),
    "AsyncEngine": (imports.Import("sqlalchemy.ext.asyncio", "AsyncEngine"), ("sqlalchemy.ext.asyncio.engine.AsyncEngine",)),
    "sync_twin": (imports.Import("sqlasync.compat", "sync_twin"), ("sqlasync.compat.sync_twin.sync_twin",)),
    "sync_session_from": (imports.Import("sqlasync.compat", "sync_session_from"),
                          ("sqlasync.compat.sync_twin.sync_session_from",)),
}


def rewrite(context: FileContext, matches: list[Match]) -> cst.Module:
    module = context.wrapper.module
    scopes = context.wrapper.resolve(ScopeProvider)
    plans = [match.data for match in matches]
    needed: list[imports.Import] = []

    def spell(name: str, sites: Sequence[cst.CSTNode]) -> str:
        if not sites:
            return name
        spelling = imports.spell(module, scopes, NAMES[name][0], sites, NAMES[name][1])
        if spelling.needs is not None:
            needed.append(spelling.needs)
        return spelling.text

    engines = [p for p in plans if isinstance(p, EnginePlan)]
    makers = [p for p in plans if isinstance(p, SessionmakerPlan)]
    get_dbs = [p for p in plans if isinstance(p, GetDbPlan)]
    envs = [p for p in plans if isinstance(p, AlembicPlan)]
    names = {
        "create_async_engine": spell("create_async_engine", [p.call for p in engines]),
        "AsyncAdaptedQueuePool": spell("AsyncAdaptedQueuePool", [p.pool for p in engines if p.pool is not None]),
        "async_sessionmaker": spell("async_sessionmaker", [p.call for p in makers]),
        "DeclarativeBase": spell("DeclarativeBase", [p.statement for p in plans if isinstance(p, DeclarativePlan)]),
        "AsyncSession": spell("AsyncSession", [p.function for p in get_dbs if p.returns is not None]),
        "async_engine_from_config": spell("async_engine_from_config", [p.engine_call for p in envs]),
        "AsyncEngine": spell("AsyncEngine", [p.annotation for p in plans if isinstance(p, AsyncEngineAnnotation)]),
        "sync_twin": spell("sync_twin", [*(p.bind for p in plans if isinstance(p, RegistryBind)),
                                         *(p.engine for p in plans if isinstance(p, SyncTwinConnection))]),
        "sync_session_from": spell("sync_session_from", [p.call for p in plans if isinstance(p, SyncSessionFrom)]),
    }
    returns = {}
    for plan in get_dbs:
        if plan.returns is not None:
            spelling = imports.spell(module, scopes, imports.Import(*plan.returns), [plan.function])
            needed += [spelling.needs] if spelling.needs is not None else []
            returns[id(plan.function)] = spelling.text
    first = [imports.Import("asyncio", None), THREAD_POOL] if envs else []
    if EngineCallRewrite.needs_asyncio(plans) and not envs:
        first.append(imports.Import("asyncio", None))
    for plan in envs:
        module = rewrite_env(module, plan, names["async_engine_from_config"], async_url.NAME)
    updated = module.visit(_Apply(plans, names, returns))
    if (envs or any(p.literal is None for p in engines)) and not async_url.defines_helper(updated):
        imported = _helper_imported(context, updated) if not any(p.literal is None for p in engines) else None
        if imported is not None:
            updated = imported
        else:
            first += async_url.needs(updated)
            updated = async_url.with_helper(updated)
    updated = imports.add_imports(updated, [*first, *needed])
    updated = drop_unused_imports(updated, _replaced_names(plans) - context.imported_by_others())
    return definitions_spaced_from_imports(module, updated)


def _helper_imported(context: FileContext, module: cst.Module) -> cst.Module | None:
    """Alembic's env.py importing the URL helper instead of pasting a copy of it, when the application module that
    has it once this run is done is known (one module, migrated in this run or holding it already) and env.py
    already imports from that module's package. Otherwise env.py keeps its own copy: without the repository index
    (no coloring in this run) nothing tells where the helper is; a database module this run (or this plan batch)
    leaves alone has none yet; and an env.py importing nothing of the application may not have it on `sys.path`."""
    home = context.coloring.module_defining(async_url.NAME, str(context.path)) if context.coloring else None
    return async_url.imported_from_home(module, home) if home is not None else None


def _replaced_names(plans: list[object]) -> set[str]:
    """Names the rewritten code no longer uses; their imports go once nothing else does."""
    replaced: set[cst.CSTNode] = set()
    for plan in plans:
        if isinstance(plan, (EnginePlan, SessionmakerPlan)):
            replaced.add(plan.call.func)
        if isinstance(plan, EnginePlan) and plan.pool is not None:
            replaced.add(plan.pool.value)
        if isinstance(plan, DeclarativePlan):
            replaced.add(plan.statement.body[0].value.func)
        if isinstance(plan, AlembicPlan):
            replaced.add(plan.engine_call.func)
        if isinstance(plan, GetDbPlan) and plan.function.returns is not None:
            replaced.add(plan.function.returns.annotation)
        if isinstance(plan, AsyncEngineAnnotation):
            replaced.add(plan.annotation)
    return {name.value for node in replaced for name in m.findall(node, m.Name())}


class _Apply(cst.CSTTransformer):
    def __init__(self, plans: list[object], names: dict[str, str], returns: dict[int, str]) -> None:
        super().__init__()
        self.names = names
        self.returns = returns
        self.engines = {id(p.call): p for p in plans if isinstance(p, EnginePlan)}
        self.makers = {id(p.call): p for p in plans if isinstance(p, SessionmakerPlan)}
        self.sync_sessions = {id(p.call) for p in plans if isinstance(p, SyncSessionFrom)}
        self.bases = {id(p.statement): p for p in plans if isinstance(p, DeclarativePlan)}
        self.creates = {id(p.statement): p for p in plans if isinstance(p, CreateAllPlan)}
        self.get_dbs = {id(p.function): p for p in plans if isinstance(p, GetDbPlan)}
        self.missing = {id(p.get_db.after): p.get_db for p in plans if isinstance(p, SessionmakerPlan) and p.get_db}
        self.pools = {id(p.pool.value) for p in plans if isinstance(p, EnginePlan) and p.pool is not None}
        self.engine_annotations = {id(p.annotation) for p in plans if isinstance(p, AsyncEngineAnnotation)}
        self.registry_binds = {id(p.bind) for p in plans if isinstance(p, RegistryBind)}
        self.registry_binds.update(id(p.engine) for p in plans if isinstance(p, SyncTwinConnection))
        self.engine_calls = EngineCallRewrite(plans)
        # Connection fixtures (E107): the fixture's block owns the connection it hands out.
        self.fixtures = {id(p.fixture): p for p in plans if isinstance(p, FixtureHandout)}

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if id(original) in self.engines:
            return self._engine(self.engines[id(original)], updated)
        if id(original) in self.makers:
            return self._sessionmaker(updated)
        if id(original) in self.sync_sessions:
            return updated.with_changes(func=cst.parse_expression(self.names["sync_session_from"]),
                                        args=[cst.Arg(updated.func), *updated.args])
        return self.engine_calls.call(original, updated)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        if id(original) in self.registry_binds:
            bound = super().on_leave(original, updated)
            return cst.Call(cst.parse_expression(self.names["sync_twin"]), [cst.Arg(bound)])
        if id(original) in self.pools:
            return cst.parse_expression(self.names["AsyncAdaptedQueuePool"])
        if id(original) in self.engine_annotations:
            return cst.parse_expression(self.names["AsyncEngine"])
        return super().on_leave(original, updated)

    def _engine(self, plan: EnginePlan, call: cst.Call) -> cst.Call:
        position = list(plan.call.args).index(plan.url)
        url = call.args[position]
        if plan.literal is not None:
            string = url.value
            value = string.with_changes(value=f"{string.prefix}{string.quote}{plan.literal}{string.quote}")
        else:
            value = cst.Call(cst.Name(async_url.NAME), [cst.Arg(url.value)])
        args = list(call.args)
        args[position] = url.with_changes(value=value)
        kept = [a for a in args if not (a.keyword and a.keyword.value in ("future", "autocommit"))]
        converted = call.with_changes(func=cst.parse_expression(self.names["create_async_engine"]),
                                      args=_laid_out(call.args, kept))
        return _one_argument_per_line(converted) if _too_long(plan.call, converted) else converted

    def _sessionmaker(self, call: cst.Call) -> cst.Call:
        bind = next((a for a in call.args if a.keyword and a.keyword.value == "bind"), None)
        kept = [a for a in call.args if a is not bind and not (a.keyword and a.keyword.value == "autocommit")]
        if bind is not None:
            kept.insert(0, cst.Arg(bind.value))
        if not any(a.keyword and a.keyword.value == "expire_on_commit" for a in kept):
            kept.append(cst.Arg(cst.Name("False"), keyword=cst.Name("expire_on_commit"), equal=_EQUAL))
        return call.with_changes(func=cst.parse_expression(self.names["async_sessionmaker"]),
                                 args=_laid_out(call.args, kept))

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        plan = self.bases.get(id(original))
        if plan is None:
            return self.engine_calls.statement(original, updated)
        code = cst.Module([]).code_for_node
        bases = ", ".join([*(code(mixin) for mixin in plan.mixins), self.names["DeclarativeBase"]])
        body = "".join(f"    {a.keyword.value} = {code(a.value)}\n" for a in plan.attributes) or "    pass\n"
        declared = cst.parse_statement(f"class {plan.name}({bases}):\n{body}")
        return declared.with_changes(leading_lines=original.leading_lines,
                                     body=declared.body.with_changes(header=original.trailing_whitespace))

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not any(id(s) in self.creates for s in original.body):
            return self.engine_calls.block(original, updated)
        output: list[cst.BaseStatement] = []
        run: list[CreateAllPlan] = []
        for before, after in zip(original.body, updated.body):
            plan = self.creates.get(id(before))
            if plan is not None and run and (run[-1].engine, run[-1].connection) == (plan.engine, plan.connection):
                run.append(plan)
                continue
            if run:
                output.append(_engine_block(run))
                run = []
            if plan is not None:
                run.append(plan)
            else:
                output.append(after)
        if run:
            output.append(_engine_block(run))
        return updated.with_changes(body=output)

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        return self.engine_calls.with_statement(original, updated)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        handout = self.fixtures.get(id(original))
        if handout is not None:
            return own_handout(updated, handout, handout.acquire, asynchronous=True)
        plan = self.get_dbs.get(id(original))
        if plan is None:
            return updated
        factory = cst.Module([]).code_for_node(plan.factory)
        return render(updated, plan, factory, self.names["AsyncSession"], self.returns.get(id(original)))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body: list[cst.BaseStatement] = []
        # Indices of new definitions, which want two blank lines on each side at module level.
        spaced: set[int] = set()
        for before, after in zip(original.body, updated.body):
            if id(before) in self.bases:
                spaced.add(len(body))
            body.append(after)
            missing = self.missing.get(id(before))
            if missing is not None:
                spaced.add(len(body))
                body.append(cst.parse_statement(_get_db_text(missing.name, missing.factory)))
        # The first statement too: the imports this rewrite adds will go above it.
        for index in sorted(spaced):
            for neighbour in (index, index + 1):
                if neighbour < len(body):
                    body[neighbour] = two_blank_lines(body[neighbour])
        return updated.with_changes(body=body)


def _get_db_text(name: str, factory: str) -> str:
    return (
        f"async def {name}():\n"
        f"    async with {factory}() as db:\n"
        f"        try:\n"
        f"            yield db\n"
        f"            await db.commit()\n"
        f"        except Exception:\n"
        f"            await db.rollback()\n"
        f"            raise\n"
    )


# Room for a call after `engine = ` within an 88-column line.
LINE_BUDGET = 78
_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _engine_block(run: list[CreateAllPlan]) -> cst.With:
    first = run[0]
    code = cst.Module([]).code_for_node
    lines = []
    for plan in run:
        options = "".join(f", {code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT))}" for a in plan.options)
        lines.append(f"    await {plan.connection}.run_sync({plan.method}{options})\n")
    block = cst.parse_statement(f"async with {first.engine}.begin() as {first.connection}:\n{''.join(lines)}")
    inner = [s.with_changes(leading_lines=[line for line in plan.statement.leading_lines if line.comment])
             for s, plan in zip(block.body.body, run)]
    return block.with_changes(leading_lines=first.statement.leading_lines,
                              body=block.body.with_changes(body=[inner[0].with_changes(leading_lines=()), *inner[1:]]))


def _too_long(before: cst.Call, after: cst.Call) -> bool:
    """The rewritten call has a line longer than the budget and than any line of the original call."""
    def longest(call: cst.Call) -> int:
        return max(len(line) for line in cst.Module([]).code_for_node(call).splitlines())
    return longest(after) > max(LINE_BUDGET, longest(before))


def _one_argument_per_line(call: cst.Call) -> cst.Call:
    indent = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace("    "))
    dedent = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))
    args = [a.with_changes(comma=cst.Comma(whitespace_after=indent if i < len(call.args) - 1 else dedent))
            for i, a in enumerate(call.args)]
    return call.with_changes(whitespace_before_args=indent, args=args)


def _laid_out(original: Sequence[cst.Arg], arguments: list[cst.Arg]) -> list[cst.Arg]:
    """`arguments` with the separators of `original`: the same commas between them and the same trailing one."""
    if not arguments:
        return []
    separators = [a.comma for a in original[:-1] if isinstance(a.comma, cst.Comma)]
    default = separators[-1] if separators else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    trailing = original[-1].comma if original else cst.MaybeSentinel.DEFAULT
    laid = []
    for index, argument in enumerate(arguments):
        if index == len(arguments) - 1:
            laid.append(argument.with_changes(comma=trailing))
        else:
            laid.append(argument.with_changes(comma=separators[index] if index < len(separators) else default))
    return laid
