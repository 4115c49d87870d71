"""The URL normaliser that rewritten engine code calls: `async_database_url(url)`.

Generated code carries its own copy of this small function (laid out by black at 88 columns, so
that it fits any usual line length) instead of importing
`sqlasync.compat.to_async_url`: a migrated application must not need sqlasync at run time, and
the function is short enough to read in place. Its conversions agree with `to_async_url`
(tests/test_sde_async_url.py checks them against each other); a URL literal is converted at
migration time with `to_async_url` itself, so no helper is needed for it.
"""

from __future__ import annotations

import libcst as cst

from ..core import imports
from ..core.nodes import dotted_name

NAME = "async_database_url"
DEFINITION = f"def {NAME}(".encode()
SOURCE = '''\
def async_database_url(url: str | URL) -> URL:
    """`url` with the async driver `create_async_engine` needs (written by sqlasync).

    sqlite, postgresql/postgres and mysql/mariadb URLs with a sync driver get aiosqlite,
    asyncpg and aiomysql, always spelled out: SQLAlchemy 2.1 reads a bare postgresql://
    as psycopg 3. URLs that already name an async driver (or one this function does not
    know) are returned as they are.
    """
    url = make_url(url)
    dialect, _, driver = url.drivername.partition("+")
    dialect = "postgresql" if dialect == "postgres" else dialect
    async_drivers = {
        "sqlite": "aiosqlite",
        "postgresql": "asyncpg",
        "mysql": "aiomysql",
        "mariadb": "aiomysql",
    }
    sync_drivers = {
        "",
        "pysqlite",
        "psycopg2",
        "psycopg2cffi",
        "pg8000",
        "pymysql",
        "mysqldb",
        "mysqlconnector",
    }
    if dialect not in async_drivers or driver not in sync_drivers:
        return url
    if dialect == "postgresql" and "sslmode" in url.query:
        # asyncpg calls psycopg2's `sslmode` parameter `ssl`.
        ssl = url.query["sslmode"]
        url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": ssl})
    return url.set(drivername=f"{dialect}+{async_drivers[dialect]}")
'''
NEEDS = (imports.Import("sqlalchemy.engine", "URL"), imports.Import("sqlalchemy.engine", "make_url"))
# Where else SQLAlchemy lets code import the two: a module that already does so needs no second import.
SAME_OBJECTS = frozenset({"sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.url"})


def needs(module: cst.Module) -> list[imports.Import]:
    """The imports the helper needs that `module` lacks (under the names the helper uses)."""
    bound = {alias.evaluated_name for statement in module.body if isinstance(statement, cst.SimpleStatementLine)
             for small in statement.body if isinstance(small, cst.ImportFrom) and not small.relative
             and small.module is not None and dotted_name(small.module) in SAME_OBJECTS
             and not isinstance(small.names, cst.ImportStar)
             for alias in small.names if alias.asname is None}
    return [item for item in NEEDS if item.obj not in bound]


def literal_async_url(text: str) -> str | None:
    """A URL literal converted now; None when it names a database sqlasync cannot pair with an async driver."""
    # Imported here: the compat package pulls in SQLAlchemy, which `sqlasync check` otherwise never needs.
    from sqlasync.compat.urls import DatabaseURLError, to_async_url

    try:
        return to_async_url(text)
    except DatabaseURLError:
        return None


def defines_helper(module: cst.Module) -> bool:
    return any(isinstance(s, cst.FunctionDef) and s.name.value == NAME for s in module.body)


def with_helper(module: cst.Module) -> cst.Module:
    """`module` with the helper defined after its leading imports (once); the caller adds `NEEDS`."""
    if defines_helper(module):
        return module
    body = list(module.body)
    index = 0
    while index < len(body) and _is_preamble(body[index]):
        index += 1
    helper = cst.parse_statement(SOURCE, config=module.config_for_parsing)
    blank = cst.EmptyLine()
    helper = helper.with_changes(leading_lines=[blank, blank])
    following = body[index:]
    if following:
        following[0] = following[0].with_changes(leading_lines=[blank, blank, *_without_blanks(following[0].leading_lines)])
    return module.with_changes(body=[*body[:index], helper, *following])


def imported_from_home(module: cst.Module, home: str) -> cst.Module | None:
    """`module` importing the helper from `home` (the application module this run leaves it in), after its last
    import from the same top-level package and with that import's `# noqa` (an Alembic env.py imports the app after
    putting the project on `sys.path`); None when it imports nothing of that package, which it then may not reach."""
    grown = imports.with_name_added(module, imports.Import(home, NAME))
    if grown is not None:
        return grown
    package = home.partition(".")[0]
    body = list(module.body)
    last = max((index for index, statement in enumerate(body) if _imports_from(statement, package)), default=None)
    if last is None:
        return None
    anchor = body[last]
    comment = anchor.trailing_whitespace.comment
    noqa = comment if comment is not None and comment.value.startswith("# noqa") else None
    line = cst.parse_statement(f"from {home} import {NAME}\n", config=module.config_for_parsing)
    line = line.with_changes(trailing_whitespace=anchor.trailing_whitespace.with_changes(comment=noqa))
    return module.with_changes(body=[*body[:last + 1], line, *body[last + 1:]])


def _imports_from(statement: cst.CSTNode, package: str) -> bool:
    """Does `statement` import a module of `package`?"""
    def inside(name: cst.BaseExpression) -> bool:
        return (dotted_name(name) or "").partition(".")[0] == package

    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return any((isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None
                and inside(small.module))
               or (isinstance(small, cst.Import) and any(inside(alias.name) for alias in small.names))
               for small in statement.body)


def _is_preamble(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(isinstance(small, (cst.Import, cst.ImportFrom)) or (
        isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)) for small in statement.body)


def _without_blanks(lines) -> list[cst.EmptyLine]:
    lines = list(lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return lines
