"""Render a query plan as code for one target.

One idiom per terminal, the same for both targets except that `--target async` awaits the
session call (and parenthesises it when a method follows):

    all()          (await db.scalars(stmt)).all()       rows: (await db.execute(stmt)).all()
    first()        (await db.scalars(stmt.limit(1))).first()
    one()          (await db.scalars(stmt)).one()        one_or_none() likewise
    scalar()       (await db.execute(stmt)).scalar_one_or_none()
    count()        await db.scalar(select(func.count()).select_from(stmt.subquery()))
    get(pk)        await db.get(Model, pk)
    for x in q     for x in await db.scalars(stmt)
    update(v)      (await db.execute(update(M).where(...).values(v))).rowcount
`.unique()` goes before the terminal whenever the legacy Query would have de-duplicated entities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst

from ..core import layout as doc
from .chain import FLASK_TERMINALS, descendants
from .statements import Link, Piece, Plan, Spelled, Statement, Verbatim

ROW_SHAPES = {True: "scalars", False: "execute"}


class Renderer:
    def __init__(self, target: str, text: Callable[[cst.CSTNode], str], names: Mapping[str, str],
                 indent_of: Callable[[cst.CSTNode], int | None]) -> None:
        self.awaits = target == "async"
        self.text = text
        self.names = names
        self.indent_of = indent_of

    # -- statements ---------------------------------------------------------------------------
    def statement(self, statement: Statement) -> doc.Doc:
        head = self._link(statement.head) if isinstance(statement.head, Link) else doc.Text(self._pieces(statement.head))
        if not (statement.links or statement.head_comments or statement.trailing_comments):
            return head
        links = tuple(doc.Link(self._link(link), link.comments) for link in statement.links)
        return doc.Chain(head, links, statement.head_comments, statement.trailing_comments)

    def _link(self, link: Link) -> doc.Doc:
        prefix = self.names[link.method.name] if isinstance(link.method, Spelled) else link.method
        if isinstance(link.args, Statement):
            return doc.Call(prefix, (self.statement(link.args),))
        if isinstance(link.args, Verbatim):
            call = link.args.call
            raw = cst.Module([]).code_for_node(call.whitespace_before_args) + "".join(
                self.text(arg) for arg in call.args)
            if "\n" in raw:
                origin = None if _has_multiline_string(call) else self.indent_of(call.func)
                return doc.Text(f"{prefix}({raw})", origin)
            return doc.Call(prefix, (doc.Text(raw.strip()),) if raw.strip() else ())
        return doc.Call(prefix, (doc.Text(self._pieces(link.args)),))

    def _pieces(self, pieces: tuple[Piece, ...]) -> str:
        parts = []
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(piece)
            elif isinstance(piece, Spelled):
                parts.append(self.names[piece.name])
            else:
                parts.append(self.text(piece))
        return "".join(parts)

    # -- executions ---------------------------------------------------------------------------
    def replacement(self, plan: Plan) -> doc.Doc:
        finish = plan.finish
        statement = plan.statement
        kind = finish.kind
        if kind in ("assign", "embed", "statement", "pass", "return"):
            return self.statement(statement)
        if kind in ("exists", "scalar_subquery", "cte", "label", "subquery"):
            return self.statement(statement.extended(Link("." + kind, Verbatim(finish.call))))
        if kind == "as_scalar":
            return self.statement(statement.extended(Link(".scalar_subquery", ())))
        if kind in FLASK_TERMINALS:
            return self._flask(plan)
        session = self.text(finish.session)
        if kind == "get":
            return self._get(session, statement, finish.nodes)
        if kind in ("update", "delete"):
            if finish.discarded:
                return self._awaited(doc.Call(f"{session}.execute", (self.statement(statement),)))
            return self._result(session, "execute", statement, ".rowcount")
        if kind == "count":
            counted = statement.extended(Link(".subquery", ()))
            return self._awaited(doc.Call(f"{session}.scalar", (self.statement(self._count(Link(
                ".select_from", counted))),)))
        if kind == "simple_count":
            criteria = tuple(link for link in statement.links if link.method != ".order_by")
            count = self._count(Link(".select_from", tuple(finish.nodes)), *criteria)
            return self._awaited(doc.Call(f"{session}.scalar", (self.statement(count),)))
        method = ROW_SHAPES[finish.objects]
        unique = ".unique()" if finish.unique else ""
        if kind == "iterate":
            around = finish.around
            if isinstance(around, cst.Call) and self.text(around.func) == "dict":
                # A Result has keys(), so dict() would take it for a mapping: hand it the rows.
                return doc.Call("dict", (self._result(session, method, statement, unique + ".all()"),))
            call = doc.Call(f"{session}.{method}", (self.statement(statement),))
            result = doc.Wrap(self._awaited(call), unique, parens=self.awaits) if unique else self._awaited(call)
            return self._around(around, result)
        if kind in ("all", "list"):
            return self._result(session, method, statement, unique + ".all()")
        if kind == "first":
            return self._result(session, method, statement.extended(_limit_one()), unique + ".first()")
        if kind in ("one", "one_or_none"):
            return self._result(session, method, statement, f"{unique}.{kind}()")
        if kind == "scalar":
            return self._result(session, "execute", statement, unique + ".scalar_one_or_none()")
        if kind == "index":
            return self._result(session, method, statement.extended(*self._index(finish)), unique + ".all()[0]")
        if kind == "slice":
            return self._result(session, method, statement.extended(*self._slice(finish)), unique + ".all()")
        raise AssertionError(f"unplanned terminal {kind}")

    def _flask(self, plan: Plan) -> doc.Doc:
        """`db.get_or_404(Model, pk)`, `db.first_or_404(stmt.limit(1))`, `db.one_or_404(stmt)`, `db.paginate(stmt)`
        (Flask-SQLAlchemy 3.x; the sync target only, as the extension has no async twin)."""
        finish = plan.finish
        keywords = [doc.Text(f"{name}={self.text(value)}") for name, value in finish.keywords]
        statement = plan.statement
        if finish.kind == "get_or_404":
            pk, _ = finish.nodes
            args = [self.statement(statement), doc.Text(self.text(pk)), *keywords]
        else:
            if finish.kind == "first_or_404":
                statement = statement.extended(_limit_one())
            args = [self.statement(statement), *keywords]
        return doc.Call(f"{plan.flask.name}.{finish.kind}", tuple(args))

    def _around(self, around: cst.BaseExpression | None, result: doc.Doc) -> doc.Doc:
        """The comprehension or `dict(...)` call the query is iterated by, with `result` as its iterable."""
        if isinstance(around, cst.Call):
            return doc.Call(self.text(around.func), (result,))
        if around is None:
            return result
        first = around.for_in
        if isinstance(around, cst.DictComp):
            element = f"{self.text(around.key)}: {self.text(around.value)}"
        else:
            element = self.text(around.elt)
        clauses: list[doc.Doc] = [doc.Prefixed(f"for {self.text(first.target)} in ", result)]
        clauses += [doc.Text(self.text(condition).strip()) for condition in first.ifs]
        if first.inner_for_in is not None:
            clauses.append(doc.Text(self.text(first.inner_for_in).strip()))
        brackets = "{}" if isinstance(around, (cst.SetComp, cst.DictComp)) else "[]"
        return doc.Comprehension(brackets[0], doc.Text(element), tuple(clauses), brackets[1])

    def _count(self, *links: Link) -> Statement:
        return Statement((Spelled("select"), "(", Spelled("func"), ".count())"), links)

    def _get(self, session: str, statement: Statement, nodes) -> doc.Doc:
        pk, options = nodes
        args = [self.statement(statement), doc.Text(self.text(pk))]
        if options is not None:
            listed = "".join(self.text(arg) for arg in options.args).strip().rstrip(",")
            args.append(doc.Text(f"options=[{listed}]"))
        return self._awaited(doc.Call(f"{session}.get", tuple(args)))

    def _result(self, session: str, method: str, statement: Statement, suffix: str) -> doc.Doc:
        call = doc.Call(f"{session}.{method}", (self.statement(statement),))
        return doc.Wrap(self._awaited(call), suffix, parens=self.awaits)

    def _awaited(self, inner: doc.Doc) -> doc.Doc:
        return doc.Await(inner) if self.awaits else inner

    def _index(self, finish) -> tuple[Link, ...]:
        (index,) = finish.nodes
        value = int(self.text(index))
        if finish.relative_slice:
            return (Link(".slice", (str(value), ", ", str(value + 1))),)
        if value == 0:
            return (_limit_one(),)
        return Link(".offset", (str(value),)), _limit_one()

    def _slice(self, finish) -> tuple[Link, ...]:
        lower, upper = finish.nodes
        lower_text = self.text(lower) if lower is not None else None
        upper_text = self.text(upper) if upper is not None else None
        if finish.relative_slice:
            return (Link(".slice", (lower_text or "0", ", ", upper_text or "None")),) if lower_text or upper_text else ()
        if lower_text in (None, "0"):
            return (Link(".limit", (upper_text,)),) if upper_text else ()
        if upper_text is None:
            return (Link(".offset", (lower_text,)),)
        if lower_text.isdigit() and upper_text.isdigit():
            return Link(".offset", (lower_text,)), Link(".limit", (str(int(upper_text) - int(lower_text)),))
        return (Link(".slice", (lower_text, ", ", upper_text)),)


def _limit_one() -> Link:
    return Link(".limit", ("1",))


def _has_multiline_string(node: cst.CSTNode) -> bool:
    strings = descendants(node, (cst.SimpleString, cst.FormattedString))
    return any("\n" in cst.Module([]).code_for_node(string) for string in strings)
