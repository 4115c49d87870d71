"""E106: Alembic's sync `env.py` becomes the asyncio form of the same script.

The online-migration function keeps its name and runs `asyncio.run(run_async_migrations())` (on a worker
thread when it is called from code that already runs an event loop, such as an async test):

    def do_run_migrations(connection):          # the body of the old `with connectable.connect()` block
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


    async def run_async_migrations() -> None:   # the rest of the old function, awaiting the engine
        connectable = async_engine_from_config(..., url=async_database_url(config.get_main_option("sqlalchemy.url")))
        async with connectable.connect() as connection:
            await connection.run_sync(do_run_migrations)
        await connectable.dispose()

`context.configure(...)` keeps every argument it had (`render_as_batch`, `compare_type`, ...), offline mode
is untouched (it never connects), and the URL Alembic reads is normalised to the async driver at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from ..core.evidence import ReceiverEvidence
from ..core.nodes import dotted_name, string_value

MIGRATIONS_FUNCTION = "do_run_migrations"
ASYNC_FUNCTION = "run_async_migrations"
# The online function's new body. `alembic upgrade` runs it with no event loop; an async test or an
# application's start-up calling `command.upgrade(...)` runs it inside one, which asyncio.run() refuses.
ONLINE_BODY = f"""\
try:
    asyncio.get_running_loop()
except RuntimeError:
    asyncio.run({ASYNC_FUNCTION}())
else:
    # Called from async code, whose event loop is busy running it:
    # migrate on a loop of our own.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, {ASYNC_FUNCTION}()).result()
"""


@dataclass(frozen=True)
class AlembicPlan:
    function: cst.FunctionDef
    engine_call: cst.Call
    # `with <engine>.connect() as <connection>:` in `function`'s body.
    block: cst.With
    connection: str
    engine: str
    # The URL the engine is built from, as code, before normalisation.
    url: str


def plan_env(evidence: ReceiverEvidence, call: cst.Call) -> AlembicPlan | str:
    statement = evidence.parent(evidence.parent(call))
    assign = evidence.parent(call)
    function = evidence.enclosing(call, cst.FunctionDef)
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(statement, cst.SimpleStatementLine) and function is not None
            and evidence.parent(statement) is function.body and evidence.parent(function) is evidence.module):
        return ("not the standard layout (`connectable = engine_from_config(...)` in a module-level function); "
                "start from `alembic init -t async` and move your settings over")
    engine = assign.targets[0].target.value
    blocks = [s for s in function.body.body if m.matches(s, m.With(items=[m.WithItem(
        item=m.Call(func=m.Attribute(value=m.Name(engine), attr=m.Name("connect")), args=[]),
        asname=m.AsName(name=m.Name()))]))]
    if len(blocks) != 1 or blocks[0].asynchronous is not None:
        return f"`{function.name.value}` does not run the migrations in one `with {engine}.connect() as ...:` block"
    taken = {s.name.value for s in evidence.module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
    if {MIGRATIONS_FUNCTION, ASYNC_FUNCTION} & taken:
        return f"`{MIGRATIONS_FUNCTION}` or `{ASYNC_FUNCTION}` is already defined; finish the conversion by hand"
    url = _url(call)
    if url is None:
        return "the URL Alembic connects with cannot be found (expected `config.get_section(...)` or `url=`)"
    connection = blocks[0].items[0].asname.name.value
    return AlembicPlan(function, call, blocks[0], connection, engine, url)


def _url(call: cst.Call) -> str | None:
    """Where the engine's URL comes from: `url=...`, else the `<prefix>url` key of the configuration."""
    code = cst.Module([]).code_for_node
    keyword = next((a for a in call.args if a.keyword and a.keyword.value == "url"), None)
    if keyword is not None:
        return code(keyword.value)
    positional = [a for a in call.args if a.keyword is None]
    prefix_arg = next((a for a in call.args if a.keyword and a.keyword.value == "prefix"), None)
    prefix = string_value(prefix_arg.value) if prefix_arg is not None else (
        string_value(positional[1].value) if len(positional) > 1 else "sqlalchemy.")
    if not positional or prefix is None:
        return None
    section = positional[0].value
    if m.matches(section, m.Call(func=m.Attribute(attr=m.Name("get_section")))) and section.args and \
            (dotted_name(section.args[0].value) or "").endswith("config_ini_section"):
        return f'{code(section.func.value)}.get_main_option("{prefix}url")'
    if isinstance(section, cst.Name):
        return f'{section.value}["{prefix}url"]'
    return None


def rewrite_env(module: cst.Module, plan: AlembicPlan, async_engine_from_config: str, url_helper: str) -> cst.Module:
    """The module with the online function split into the migrations callback and the async runner."""
    function = plan.function
    statements = list(function.body.body)
    docstring = statements[:1] if statements and _is_docstring(statements[0]) else []
    runner_body: list[cst.BaseStatement] = []
    for statement in statements[len(docstring):]:
        if statement is plan.block:
            runner_body += _awaited_block(plan)
        elif _holds(statement, plan.engine_call):
            runner_body.append(statement.visit(_AsyncEngine(plan, async_engine_from_config, url_helper)))
        else:
            runner_body.append(statement)
    callback = cst.parse_statement(f"def {MIGRATIONS_FUNCTION}({plan.connection}):\n    pass\n").with_changes(
        body=plan.block.body, leading_lines=function.leading_lines)
    runner = cst.parse_statement(f"async def {ASYNC_FUNCTION}() -> None:\n    pass\n")
    runner = runner.with_changes(body=runner.body.with_changes(body=runner_body),
                                 leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    online = function.with_changes(
        body=function.body.with_changes(body=[*docstring, *cst.parse_module(ONLINE_BODY).body]),
        leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
    )
    body: list[cst.BaseStatement] = []
    for statement in module.body:
        body += [callback, runner, online] if statement is function else [statement]
    return module.with_changes(body=body)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())]))


def _holds(statement: cst.CSTNode, node: cst.CSTNode) -> bool:
    return any(found is node for found in m.findall(statement, m.Call()))


def _awaited_block(plan: AlembicPlan) -> list[cst.BaseStatement]:
    text = (f"async with {plan.engine}.connect() as {plan.connection}:\n"
            f"    await {plan.connection}.run_sync({MIGRATIONS_FUNCTION})\n")
    block = cst.parse_statement(text).with_changes(leading_lines=plan.block.leading_lines)
    return [block, cst.parse_statement(f"await {plan.engine}.dispose()\n")]


class _AsyncEngine(cst.CSTTransformer):
    def __init__(self, plan: AlembicPlan, async_engine_from_config: str, url_helper: str) -> None:
        super().__init__()
        self.plan = plan
        self.callee = async_engine_from_config
        self.url_helper = url_helper

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if original is not self.plan.engine_call:
            return updated
        url = cst.parse_expression(f"{self.url_helper}({self.plan.url})")
        args = [a for a in updated.args if not (a.keyword and a.keyword.value == "url")]
        last = args[-1]
        if isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace):
            between = args[-2].comma if len(args) > 1 else last.comma
            args = [*args[:-1], last.with_changes(comma=between),
                    cst.Arg(url, keyword=cst.Name("url"), equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
                        comma=last.comma)]
        else:
            args = [*args[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                    cst.Arg(url, keyword=cst.Name("url"), equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))]
        return updated.with_changes(func=cst.parse_expression(self.callee), args=args)
