"""Apply the Q conversions of one file: replace every planned node, then fix up the imports."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider, ScopeProvider

from ..core import imports
from ..core.family import FileContext
from .chain import comments_in, descendants
from .flow import Conversion, Site
from .params import Candidate
from ..core.layout import Await, Block, Call, Chain, Layout, Wrap
from .render import Renderer
from ..core.rule import Match

SQLALCHEMY_NAMES = {
    "select": ("sqlalchemy.future.select", "sqlalchemy.sql.select", "sqlalchemy.sql.expression.select"),
    "func": ("sqlalchemy.sql.func", "sqlalchemy.sql.expression.func", "sqlalchemy.sql.functions.func"),
    "update": ("sqlalchemy.sql.update", "sqlalchemy.sql.expression.update"),
    "delete": ("sqlalchemy.sql.delete", "sqlalchemy.sql.expression.delete"),
}
SESSION_TYPES = {"async": imports.Import("sqlalchemy.ext.asyncio", "AsyncSession"),
                 "sync": imports.Import("sqlalchemy.orm", "Session")}
LINE_LIMITS = (88, 120)
UNLIMITED = 1 << 30
BRACKETS = (cst.Arg, cst.List, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp,
            cst.SubscriptElement)


def rewrite(context: FileContext, matches: list[Match]) -> cst.Module:
    sites: dict[int, Site] = {}
    sessions: dict[int, cst.BaseExpression] = {}
    parameters: list[Candidate] = []
    for match in matches:
        conversion: Conversion = match.data
        for site in conversion.sites:
            sites[id(site.node)] = site
        for call, session in conversion.arguments:
            sessions[id(call)] = session
        if conversion.parameter is not None:
            parameters.append(conversion.parameter)
    module = context.wrapper.module
    scopes = context.wrapper.resolve(ScopeProvider)
    spellings = {
        name: _spelling(module, scopes, name, [site for site in sites.values() if name in _needs(site)])
        for name in sorted({name for site in sites.values() for name in _needs(site)})
    }
    # The Flask-SQLAlchemy `db` a module did not name yet (its views only imported the models).
    extensions = [imports.Import(site.plan.flask.home, site.plan.flask.name) for site in sites.values()
                  if site.plan.flask is not None and site.plan.flask.home is not None]
    if parameters:
        # The function's parameters: the session it now receives, and the statement instead of the Query.
        at = [candidate.param for candidate in parameters]
        session_type = SESSION_TYPES[context.target]
        spellings["Select"] = imports.spell(module, scopes, imports.Import("sqlalchemy", "Select"), at,
                                            ("sqlalchemy.sql.Select", "sqlalchemy.sql.selectable.Select"))
        spellings["Session"] = imports.spell(module, scopes, session_type, at)
    applier = _Apply(context, sites, {name: spelling.text for name, spelling in spellings.items()}, sessions,
                     {id(candidate.function.params): candidate for candidate in parameters})
    updated = module.visit(applier)
    updated = imports.add_imports(updated, [s.needs for s in spellings.values() if s.needs is not None] + extensions)
    return imports.remove_unused_imports(updated, applier.dropped_imports())


def _spelling(module: cst.Module, scopes, name: str, sites: list[Site]) -> imports.Spelling:
    """How to write `select` (`func`, ...) at `sites`: as the module already imports it; else, when every site is
    a Flask-SQLAlchemy query of one extension, as that extension's attribute (`db.select`, which Flask-SQLAlchemy
    documents), since that needs no import; else imported from sqlalchemy."""
    spelling = imports.spell(module, scopes, imports.Import("sqlalchemy", name), [s.node for s in sites],
                             SQLALCHEMY_NAMES[name])
    extensions = {site.plan.flask.name if site.plan.flask is not None else None for site in sites}
    if spelling.needs is None or len(extensions) != 1 or None in extensions:
        return spelling
    return imports.Spelling(f"{extensions.pop()}.{name}")


def _needs(site: Site) -> frozenset[str]:
    return site.plan.needs


class _Apply(cst.CSTTransformer):
    def __init__(self, context: FileContext, sites: dict[int, Site], names: dict[str, str],
                 sessions: dict[int, cst.BaseExpression], parameters: dict[int, Candidate]) -> None:
        super().__init__()
        self.sites = sites
        self.names = names
        self.sessions = sessions
        self.parameters = parameters
        self.module = context.wrapper.module
        self.positions = context.wrapper.resolve(PositionProvider)
        self.parents = context.parents
        # The layout works in "\n" lines, like every other text the family takes from LibCST (through
        # `cst.Module([])`), and turns them into the module's newline once, at the end: a piece copied with the
        # module's own CRLF would come out of that as a lone CR beside a doubled ending.
        self.lf_module = self.module.with_changes(default_newline="\n")
        self.lines = self.lf_module.code.split("\n")
        longest = max((len(line) for line in self.lines), default=0)
        self.limit = min(max(longest, LINE_LIMITS[0]), LINE_LIMITS[1])
        self.renderer = Renderer(context.target, self.text, names, self.indent_of)
        self.updated: dict[int, cst.CSTNode] = {}
        self.replaced: list[cst.CSTNode] = []
        # A converted query that is the only argument of a call is laid out with the call, the way a
        # formatter would break `f(<long>)`: `f(` newline, the argument, newline, `)`.
        self.hugged: dict[int, Site] = {}
        for site in sites.values():
            call = self._hugging_call(site.node)
            if call is not None and id(call) not in sessions:
                self.hugged[id(call)] = site

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        # The query itself is always replaced: an enclosing chain copies its arguments from the updated nodes.
        site = self.sites.get(id(original))
        if site is not None:
            self.replaced.append(original)
            updated = self._replacement(site)
        site = self.hugged.get(id(original))
        if site is not None:
            self.replaced.append(original)
            updated = self._replacement(site, around=original)
        if id(original) in self.sessions:
            updated = self._with_session(original, updated)
        if id(original) in self.parameters:
            self.replaced.append(original)
            updated = self._receiving_session(self.parameters[id(original)], updated)
        self.updated[id(original)] = updated
        return updated

    def _with_session(self, original: cst.Call, call: cst.Call) -> cst.Call:
        """`f(query, ...)` -> `f(db, query, ...)`: the session the query came from goes first."""
        session = cst.parse_expression(self.module.code_for_node(self.sessions[id(original)]))
        return call.with_changes(args=[cst.Arg(session, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                                       *call.args])

    def _receiving_session(self, candidate: Candidate, params: cst.Parameters) -> cst.Parameters:
        annotation = cst.Annotation(cst.parse_expression(self.names["Session"]))
        listed = list(params.params)
        # One parameter a line stays one a line.
        first = listed[0].comma
        comma = first if isinstance(first, cst.Comma) and "\n" in self.module.code_for_node(first) else cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" "))
        session = cst.Param(cst.Name(candidate.session), annotation, comma=comma)
        query = listed[candidate.position]
        listed[candidate.position] = query.with_changes(
            annotation=query.annotation.with_changes(annotation=cst.parse_expression(self.names["Select"])))
        return params.with_changes(params=[session, *listed])

    def _hugging_call(self, node: cst.CSTNode) -> cst.Call | None:
        argument = self.parents.get(node)
        if not (isinstance(argument, cst.Arg) and argument.keyword is None and not argument.star):
            return None
        call = self.parents.get(argument)
        if not (isinstance(call, cst.Call) and len(call.args) == 1 and isinstance(call.func, (cst.Name, cst.Attribute))):
            return None
        if id(call) in self.sites or len(comments_in(call)) != len(comments_in(node)):
            return None
        return call

    def text(self, node: cst.CSTNode) -> str:
        return self.lf_module.code_for_node(self.updated.get(id(node), node))

    def indent_of(self, node: cst.CSTNode) -> int | None:
        """Indentation of the line `node` starts on, relative to its statement's block (as LibCST keeps it)."""
        position = self.positions.get(node)
        if position is None:
            return None
        return self._line_indent(position.start.line) - self._block_indent(node)

    def _line_indent(self, number: int) -> int:
        line = self.lines[number - 1]
        return len(line) - len(line.lstrip(" "))

    def _block_indent(self, node: cst.CSTNode) -> int:
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            current = self.parents.get(current)
        if current is None:
            return 0
        return self._line_indent(self.positions[current].start.line)

    def _replacement(self, site: Site, around: cst.Call | None = None) -> cst.BaseExpression:
        node = around or site.node
        document = self.renderer.replacement(site.plan)
        parent = self.parents.get(node)
        if around is not None:
            document = Call(self.text(around.func), (document,))
        elif isinstance(document, Await) and _needs_primary(node, parent):
            document = Wrap(document)
        elif isinstance(document, Chain) and not self._inside_brackets(node):
            document = Block(document)
        start = self.positions[node.lpar[0] if node.lpar else node].start
        end = self.positions[node.rpar[-1] if node.rpar else node].end
        block = self._block_indent(node)
        # Inside an f-string's replacement field a line break is a syntax error before Python 3.12: one line.
        layout = Layout(UNLIMITED if self._inside_fstring(node) else self.limit, block)
        trailing = len(self.lines[end.line - 1]) - end.column
        text = layout.render(document, start.column, self._line_indent(start.line) - block, trailing)
        newline = self.module.default_newline
        return cst.parse_expression(text.replace("\n", newline) if newline != "\n" else text,
                                    config=self.module.config_for_parsing)

    def _inside_fstring(self, node: cst.CSTNode) -> bool:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, (cst.BaseStatement, cst.BaseSmallStatement)):
            if isinstance(current, cst.FormattedStringExpression):
                return True
            current = self.parents.get(current)
        return False

    def _inside_brackets(self, node: cst.CSTNode) -> bool:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, (cst.BaseStatement, cst.BaseSmallStatement)):
            if isinstance(current, BRACKETS) or getattr(current, "lpar", None):
                return True
            current = self.parents.get(current)
        return False

    def dropped_imports(self) -> list[imports.Import]:
        """Imports whose names appeared in replaced code and may now be unused (the remover checks)."""
        before = set().union(*(_names_in(node) for node in self.replaced))
        after = set().union(*(_names_in(self.updated[id(node)]) for node in self.replaced))
        names = before - after
        found = []
        for statement in self.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.ImportFrom) and small.module is not None and not isinstance(
                            small.names, cst.ImportStar) and not small.relative:
                        module = self.module.code_for_node(small.module)
                        for alias in small.names:
                            if (alias.evaluated_alias or alias.evaluated_name) in names:
                                found.append(imports.Import(module, alias.evaluated_name, alias.evaluated_alias))
        return found


def _names_in(node: cst.CSTNode) -> set[str]:
    return {name.value for name in descendants(node, cst.Name)}


def _needs_primary(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """`await x` must be parenthesised where it is followed by `.attr`, `[...]` or `(...)`."""
    return (isinstance(parent, cst.Attribute) and parent.value is node) or (
        isinstance(parent, cst.Subscript) and parent.value is node) or (
        isinstance(parent, cst.Call) and parent.func is node)
