"""Apply the R plan: sessions from the factory, `text()` SQL, mappings/rows/scalars/rowcounts.

A function's asyncpg code is converted as a whole when any of its R sites is selected (an acquire
block cannot be converted without the calls on its connection); functions whose rows share a
helper that changes are converted together or not at all.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider, ScopeProvider

from ..core import imports
from ..core.blank_lines import definitions_spaced_from_imports
from ..core.family import FileContext
from .plan import names_in
from .units import AcquireUnit, DriverSql, FilePlan, HelperPlan, Query, StatementUnit, TextSql, Unit
from .rows import Edit, EditKind
from ..core.rule import Match

LINE_LIMITS = (88, 120)
SQLALCHEMY_NAMES = {
    "text": ("sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"),
    "bindparam": ("sqlalchemy.sql.bindparam", "sqlalchemy.sql.expression.bindparam"),
    "RowMapping": ("sqlalchemy.engine.RowMapping", "sqlalchemy.engine.row.RowMapping"),
    "Row": ("sqlalchemy.engine.Row", "sqlalchemy.engine.row.Row"),
}
_SUFFIXES = {("fetch", False): ".mappings().all()", ("fetch", True): ".all()",
             ("fetchrow", False): ".mappings().first()", ("fetchrow", True): ".first()",
             ("fetchval", False): ".scalar()", ("fetchval", True): ".scalar()"}
_ATOMS = (cst.Name, cst.Attribute, cst.Subscript, cst.Call, cst.SimpleString, cst.Integer)


def rewrite(context: FileContext, matches: list[Match]) -> cst.Module:
    plan: FilePlan = matches[0].data
    functions = _chosen_functions(plan, {id(match.node) for match in matches})
    units = [unit for unit in plan.units if id(unit.function) in functions]
    helpers = [helper for helper in plan.helpers if helper.reaching <= functions]
    if not units:
        return context.module
    module = context.module
    scopes = context.wrapper.resolve(ScopeProvider)
    needed = _needed_names(units, helpers)
    sites = [query.awaited for unit in units for query in unit.queries]
    spellings = {name: imports.spell(module, scopes, imports.Import("sqlalchemy", name), sites,
                                     SQLALCHEMY_NAMES[name]) for name in sorted(needed)}
    factory = plan.factory
    applier = _Apply(context, units, helpers, factory.name, {n: s.text for n, s in spellings.items()})
    updated = module.visit(applier)
    updated = imports.add_imports(updated, [s.needs for s in spellings.values() if s.needs is not None]
                                  + ([factory.needs] if factory.needs is not None else []))
    updated = _remove_unused(updated, applier.decoded_json, applier.retyped_records)
    return definitions_spaced_from_imports(module, updated)


def _chosen_functions(plan: FilePlan, chosen: set[int]) -> set[int]:
    functions = {id(unit.function) for unit in plan.units if any(id(s.call) in chosen for s in unit.sites)}
    while True:
        dropped = set()
        for helper in plan.helpers:
            if helper.use.must_change and not helper.reaching <= functions:
                dropped |= helper.reaching & functions
        if not dropped:
            return functions
        functions -= dropped


def _needed_names(units: list[Unit], helpers: list[HelperPlan]) -> set[str]:
    needed = set()
    for unit in units:
        for query in unit.queries:
            if isinstance(query.sql, TextSql):
                needed.add("text")
                if query.sql.bound.expanding:
                    needed.add("bindparam")
            for edit in query.flow.edits:
                if edit.kind is EditKind.RECORD_ANNOTATION:
                    needed.add("Row" if query.flow.positional else "RowMapping")
    for helper in helpers:
        if any(edit.kind is EditKind.RECORD_ANNOTATION for edit in helper.use.edits):
            needed.add(_helper_row_type(helper, units))
    return needed


def _helper_row_type(helper: HelperPlan, units: list[Unit]) -> str:
    positional = any(query.flow.positional for unit in units for query in unit.queries
                     if id(helper.use.function) in query.flow.helpers)
    return "Row" if positional else "RowMapping"


def _remove_unused(module: cst.Module, decoded_json: bool, retyped_records: bool) -> cst.Module:
    if not (decoded_json or retyped_records):
        return module
    dropped = [imports.Import("json", "loads")] if decoded_json else []
    modules = (["json"] if decoded_json else []) + (["asyncpg"] if retyped_records else [])
    return imports.remove_unused_imports(module, dropped, modules)


class _Apply(cst.CSTTransformer):
    def __init__(self, context: FileContext, units: list[Unit], helpers: list[HelperPlan], factory: str,
                 names: dict[str, str]) -> None:
        super().__init__()
        self.module = context.module
        self.parents = context.evidence.parents
        self.positions = context.wrapper.resolve(PositionProvider)
        longest = max((len(line) for line in self.module.code.split("\n")), default=0)
        self.limit = min(max(longest, LINE_LIMITS[0]), LINE_LIMITS[1])
        self.indent = self.module.default_indent
        self.names = names
        self.queries: dict[int, tuple[Query, str]] = {}
        self.items: dict[int, str] = {}  # With -> its new item
        self.wraps: dict[int, list[str]] = {}  # statement line -> `async with` headers, innermost first
        self.guards: dict[int, tuple[Query, str, str]] = {}  # executemany line -> (query, session, variable)
        self.edits: dict[int, Edit] = {}
        self.row_types: dict[int, str] = {}
        self.decoded_json = False
        self.retyped_records = False
        for unit in units:
            self._plan_unit(unit, factory)
        for helper in helpers:
            row_type = _helper_row_type(helper, units)
            for edit in helper.use.edits:
                self.edits[id(edit.node)] = edit
                self.row_types[id(edit.node)] = row_type

    def _plan_unit(self, unit: Unit, factory: str) -> None:
        session = unit.session
        if isinstance(unit, AcquireUnit):
            opener = f"{factory}.begin()" if unit.whole_block_commits else f"{factory}()"
            self.items[id(unit.block)] = f"{opener} as {session}"
            for block, nested in _transaction_blocks(unit, self.parents):
                self.items[id(block)] = f"{session}.begin_nested()" if nested else f"{session}.begin()"
            for statement in unit.autocommit:
                self.wraps.setdefault(id(statement), []).append(f"{session}.begin()")
        elif isinstance(unit, StatementUnit):
            self.wraps.setdefault(id(unit.statement), []).append(f"{factory}.begin() as {session}")
        taken = {n.value for n in names_in(unit.function)}
        for query in unit.queries:
            for edit in query.flow.edits:
                self.edits[id(edit.node)] = edit
                self.row_types[id(edit.node)] = "Row" if query.flow.positional else "RowMapping"
            if query.method == "executemany" and query.may_be_empty:
                variable = _free_name("params", taken)
                taken.add(variable)
                self.guards[id(self._line_of(query.awaited))] = (query, session, variable)
            else:
                self.queries[id(query.awaited)] = (query, session)

    # -- dispatch ------------------------------------------------------------------------------
    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        key = id(original)
        if key in self.queries:
            query, session = self.queries[key]
            return self._query(original, updated, query, session)
        if key in self.items and isinstance(updated, cst.With):
            item = updated.items[0]
            expression, _, name = self.items[key].partition(" as ")
            asname = item.asname.with_changes(name=cst.Name(name)) if name else None
            return updated.with_changes(items=[item.with_changes(item=cst.parse_expression(expression),
                                                                 asname=asname)])
        if isinstance(original, cst.SimpleStatementLine) and (key in self.wraps or key in self.guards):
            return self._statement(original, updated)
        if key in self.edits:
            return self._edit(self.edits[key], updated, self.row_types.get(key, "RowMapping"))
        return updated

    def _line_of(self, node: cst.CSTNode) -> cst.SimpleStatementLine:
        while not isinstance(node, cst.SimpleStatementLine):
            node = self.parents[node]
        return node

    # -- statements: session blocks and the executemany guard ---------------------------------------
    # Generated code is indented relative to its statement: LibCST keeps continuation lines relative
    # to the enclosing block, so they follow the statement into any new `async with` block.
    def _statement(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        statements: list[cst.BaseStatement] = [updated]
        if id(original) in self.guards:
            query, session, variable = self.guards[id(original)]
            statements = self._guarded(query, session, variable, updated)
        for header in self.wraps.get(id(original), ()):
            statements = [self._wrapped(statements, header)]
        return statements[0] if len(statements) == 1 else cst.FlattenSentinel(statements)

    def _wrapped(self, statements: list[cst.BaseStatement], header: str) -> cst.With:
        leading = statements[0].leading_lines
        inner = [statements[0].with_changes(leading_lines=[]), *statements[1:]]
        block = cst.parse_statement(f"async with {header}:\n{self.indent}pass\n")
        return block.with_changes(body=block.body.with_changes(body=inner), leading_lines=leading)

    def _guarded(self, query: Query, session: str, variable: str,
                 updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        """`params = [...]` then `if params: await db.execute(...)`: SQLAlchemy refuses an empty list."""
        assignment = cst.parse_statement(f"{variable} = {self._rows_code(query)}\n")
        call = self._call_code(query, session, len(self.indent), variable)
        guard = cst.parse_statement(f"if {variable}:\n{self.indent}{call}\n")
        return [assignment.with_changes(leading_lines=updated.leading_lines), guard]

    # -- the converted call ----------------------------------------------------------------------
    def _query(self, original: cst.Await, updated: cst.Await, query: Query, session: str) -> cst.BaseExpression:
        params = self._params_code(query) if query.method != "executemany" else self._rows_code(query)
        expression = cst.parse_expression(self._call_code(query, session, 0, params, original))
        if not self._suffix(query):
            return expression.with_changes(lpar=updated.lpar, rpar=updated.rpar)
        return expression

    def _suffix(self, query: Query) -> str:
        return _SUFFIXES.get((query.method, query.flow.positional), "")

    def _call_code(self, query: Query, session: str, indent: int, params: str | None,
                   original: cst.Await | None = None) -> str:
        """The call, on one line if it fits, else one argument per line (columns relative to the statement)."""
        suffix = self._suffix(query)
        opening, closing = ("(await ", ")") if suffix else ("await ", "")
        target = f"{session}.execute" if isinstance(query.sql, TextSql) \
            else f"(await {session}.connection()).exec_driver_sql"
        start = f"{opening}{target}("
        line = self._line_of(original if original is not None else query.awaited)
        line_column = self.positions[line].start.column
        where = self.positions[original] if original is not None else None
        column = (where.start.column - line_column) if where is not None else indent
        single = f"{start}{self._sql_code(query, column + len(start), line_column)}" \
                 f"{', ' + params if params else ''}){closing}{suffix}"
        spans_lines = where is not None and where.start.line != where.end.line
        rest = self._rest_of_line(original) if original is not None else 0
        depth = len(self.wraps.get(id(line), ())) * len(self.indent)
        if "\n" not in single and not spans_lines and line_column + depth + column + len(single) + rest <= self.limit:
            return single
        inner = indent + len(self.indent)
        lines = [f"{start}\n", f"{self._pad(inner)}{self._sql_code(query, inner, line_column)},\n"]
        if params:
            lines.append(f"{self._pad(inner)}{self._break_dict(params, line_column + depth + inner, inner)},\n")
        lines.append(f"{self._pad(indent)}){closing}{suffix}")
        return "".join(lines)

    def _rest_of_line(self, original: cst.Await) -> int:
        where = self.positions[original]
        line = self.module.code.split("\n")[where.end.line - 1]
        return len(line) - where.end.column

    def _sql_code(self, query: Query, column: int, line_column: int) -> str:
        """The SQL argument starting at `column`, its continuation pieces aligned under its first piece."""
        argument = query.site.call.args[0].value
        original_column = self.positions[argument].start.column - line_column
        if isinstance(query.sql, DriverSql):
            return _code(_aligned(argument, column - original_column))
        bound = query.sql.bound
        text_name = self.names["text"]
        literal = _code(_aligned(bound.literal, column + len(text_name) + 1 - original_column))
        sql = f"{text_name}({literal})"
        if not bound.expanding:
            return sql
        expanding = ", ".join(f'{self.names["bindparam"]}("{name}", expanding=True)'
                              for name in sorted(bound.expanding))
        last_line = sql.rsplit("\n", 1)[-1]
        start = column if "\n" not in sql else 0
        if line_column + start + len(last_line) + len(expanding) + len(".bindparams()") + 1 > self.limit:
            return f"{sql}\n{' ' * column}.bindparams({expanding})"
        return f"{sql}.bindparams({expanding})"

    def _params_code(self, query: Query) -> str | None:
        if isinstance(query.sql, DriverSql):
            if not query.arguments:
                return None
            values = ", ".join(_code(argument) for argument in query.arguments)
            return f"({values}{',' if len(query.arguments) == 1 else ''})"
        names = query.sql.bound.names
        if not names:
            return None
        return "{" + ", ".join(f'"{names[index]}": {_code(query.arguments[index - 1])}'
                               for index in sorted(names)) + "}"

    def _rows_code(self, query: Query) -> str:
        rows = query.rows
        names = query.sql.bound.names if isinstance(query.sql, TextSql) else None
        if names is None:
            if isinstance(rows, (cst.List, cst.ListComp)):
                return _code(rows)
            if isinstance(rows, cst.GeneratorExp):
                return f"[{_code(rows.elt)} {_code(rows.for_in).strip()}]"
            return f"list({_code(rows)})"
        keys = [names.get(index, query.row_names[index - 1]) for index in range(1, len(query.row_names) + 1)]

        def as_dict(values: list[str]) -> str:
            return "{" + ", ".join(f'"{key}": {value}' for key, value in zip(keys, values)) + "}"

        if isinstance(rows, (cst.ListComp, cst.GeneratorExp)):
            values = [_code(element.value) for element in rows.elt.elements]
            return f"[{as_dict(values)} {_code(rows.for_in).strip()}]"
        if isinstance(rows, cst.List):
            return "[" + ", ".join(as_dict([_code(e.value) for e in t.value.elements]) for t in rows.elements) + "]"
        targets = ", ".join(query.row_names) + ("," if len(query.row_names) == 1 else "")
        return f"[{as_dict(list(query.row_names))} for {targets} in {_code(rows)}]"

    def _break_dict(self, code: str, absolute: int, column: int) -> str:
        """A dict argument too long for its line (at `absolute`), one entry per line."""
        if absolute + len(code) + 1 <= self.limit or not code.startswith("{") or "\n" in code:
            return code
        expression = cst.parse_expression(code)
        if not isinstance(expression, cst.Dict):
            return code
        entries = "".join(f"{self._pad(column + len(self.indent))}{_code(e.key)}: {_code(e.value)},\n"
                          for e in expression.elements)
        return "{\n" + entries + self._pad(column) + "}"

    def _pad(self, width: int) -> str:
        """Indentation `width` columns deep (a tab counting as one) in the file's own unit: tabs in a file indented
        with tabs."""
        levels, rest = divmod(width, len(self.indent))
        return self.indent * levels + " " * rest

    # -- what the result touches -------------------------------------------------------------------
    def _edit(self, edit: Edit, updated: cst.CSTNode, row_type: str) -> cst.CSTNode:
        if edit.kind is EditKind.FIRST_ARGUMENT:
            self.decoded_json = True
            value = updated.args[0].value
            if isinstance(value, _ATOMS) or value.lpar:
                return value.with_changes(lpar=updated.lpar, rpar=updated.rpar) if updated.lpar else value
            return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if edit.kind is EditKind.OR_ELSE:
            return updated.orelse.with_changes(lpar=updated.lpar, rpar=updated.rpar)
        if edit.kind is EditKind.ROWCOUNT:
            status = updated.args[0].value.value.func.value
            return cst.Attribute(status, cst.Name("rowcount"), lpar=updated.lpar, rpar=updated.rpar)
        if edit.kind is EditKind.ROWCOUNT_COMPARISON:
            target = updated.comparisons[0]
            if isinstance(updated.left, (cst.SimpleString, cst.ConcatenatedString)):
                left = cst.Integer(str(edit.count))
                comparator = cst.Attribute(target.comparator, cst.Name("rowcount"))
            else:
                left = cst.Attribute(updated.left, cst.Name("rowcount"))
                comparator = cst.Integer(str(edit.count))
            return updated.with_changes(left=left, comparisons=[target.with_changes(comparator=comparator)])
        self.retyped_records = True
        return updated.with_changes(annotation=cst.parse_expression(self.names[row_type]))


def _transaction_blocks(unit: AcquireUnit, parents) -> list[tuple[cst.With, bool]]:
    blocks = []
    for site in unit.sites:
        if site.code == "R104":
            item = parents[site.call]
            blocks.append((parents[item], unit.transactions[id(parents[item])]))
    return blocks


class _Shift(cst.CSTTransformer):
    """Moves continuation lines `by` columns to the right."""

    def __init__(self, by: int) -> None:
        super().__init__()
        self.by = by

    def leave_ParenthesizedWhitespace(self, original, updated):
        return updated.with_changes(last_line=cst.SimpleWhitespace(updated.last_line.value + " " * self.by))


def _aligned(node: cst.BaseExpression, by: int) -> cst.BaseExpression:
    if by == 0:
        return node
    if by > 0:
        return node.visit(_Shift(by))
    return node.visit(_Unshift(-by))


class _Unshift(cst.CSTTransformer):
    def __init__(self, by: int) -> None:
        super().__init__()
        self.by = by

    def leave_ParenthesizedWhitespace(self, original, updated):
        value = updated.last_line.value
        removable = len(value) - len(value.lstrip(" "))
        return updated.with_changes(last_line=cst.SimpleWhitespace(value[min(self.by, removable):]))


def _free_name(base: str, taken: set[str]) -> str:
    candidate, counter = base, 1
    while candidate in taken:
        counter += 1
        candidate = f"{base}_{counter}"
    return candidate


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)

