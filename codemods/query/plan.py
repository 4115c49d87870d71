"""From a legacy chain to a plan: the `select()` (or `update()`/`delete()`) statement and how it is executed.

The plan is target-neutral and still refers to the original argument nodes; `query_render`
turns it into code for `--target async` or `--target sync`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import libcst as cst

from .chain import FLASK_TERMINALS, JOINS, Chain, Step, Unsupported, comments_in
from .shape import Kind, Resolver, Selection, class_like, classify, last_name, may_repeat_entities, model_like
from .statements import (CRITERIA_STEPS, FLASK_KEYWORDS, JOIN_KEYWORDS, LOOSE, PAGINATE_ARGUMENTS, RENAMED,
                         RETURNED_REPEATING, ROW_LIMITING, Finish, History, Link, Piece, Plan, Spelled, Statement,
                         Verbatim, returned_problem, returned_stand_in)


class Planner:
    def __init__(self, resolve: Resolver, code: Callable[[cst.CSTNode], str],
                 flask_problem: Callable[[str], str | None] = lambda terminal: None,
                 joined_class: Callable[[cst.BaseExpression], cst.BaseExpression | str | None] = lambda target: None,
                 ) -> None:
        self.resolve = resolve
        self.code = code
        # Why the project's Flask-SQLAlchemy cannot run the extension's method for a terminal (None: it can).
        self.flask_problem = flask_problem
        # The class a relationship (`Post.author`) joins to, as the module writes it, or why it cannot
        # (related_classes.py; None: not a relationship the repository index shows).
        self.joined_class = joined_class

    def plan(self, chain: Chain, history: History) -> Plan | Unsupported:
        plan = self._plan(chain, history)
        return replace(plan, flask=history.flask) if isinstance(plan, Plan) and history.flask is not None else plan

    def _plan(self, chain: Chain, history: History) -> Plan | Unsupported:
        if returned_stand_in(history.origin_args):
            problem = returned_problem(chain)
            if problem:
                return Unsupported(problem)
        if chain.use.kind in FLASK_TERMINALS:
            problem = self.flask_problem(chain.use.kind)
            if problem:
                return Unsupported(problem)
        if chain.use.kind in ("update", "delete"):
            return self._bulk(chain, history)
        if chain.use.kind in ("get", "get_or_404"):
            return self._get(chain, history)
        links = self._links(chain.steps, history)
        if isinstance(links, Unsupported):
            return links
        head: Link | tuple[Piece, ...]
        if chain.is_origin and not chain.origin.returned:
            # `select(Model)` for `Model.query`, else the entities as `query(...)` listed them.
            head = Link(Spelled("select"), Verbatim(chain.head) if isinstance(chain.head, cst.Call) else tuple(
                arg.value for arg in chain.entities))
            folded = _foldable_with_entities(chain.steps)
            if folded is not None:
                head = Link(Spelled("select"), Verbatim(chain.steps[folded].call))
                links = links[:folded] + links[folded + 1:]
        else:
            head = (chain.head,)
        head_comments = tuple(c for node in chain.spine for c in _paren_comments(node))
        statement = Statement(head, links, head_comments, tuple(_dot_comments(chain.use.node, chain)))
        selection = self._selection(history.origin_args, chain.steps, history.earlier_steps)
        finish = self._finish(chain, history, selection)
        if isinstance(finish, Unsupported):
            return finish
        needs = {"select"} if chain.is_origin and not chain.origin.returned else set()
        if finish.kind in ("count", "simple_count"):
            needs |= {"select", "func"}
        return Plan(statement, finish, frozenset(needs))

    # -- steps --------------------------------------------------------------------------------
    def _links(self, steps: Sequence[Step], history: History) -> tuple[Link, ...] | Unsupported:
        links: list[Link] = []
        done: list[Step] = []
        for step in steps:
            link = self._link(step, done, history)
            if isinstance(link, Unsupported):
                return link
            links.append(link)
            done.append(step)
        return tuple(links)

    def _link(self, step: Step, done: Sequence[Step], history: History) -> Link | Unsupported:
        comments = tuple(comments_in(step.attribute.dot, step.call.whitespace_after_func))
        call = step.call
        if any(arg.star == "*" for arg in call.args) and step.name not in (
            "filter", "where", "order_by", "group_by", "having", "options", "with_entities", "add_columns", "correlate"
        ):
            return Unsupported(f"`{step.name}()` with `*` arguments")
        if step.name == "filter_by":
            return self._filter_by(step, done, history, comments)
        if step.name in JOINS:
            problem = self._join_problem(call)
            if problem:
                return Unsupported(problem)
        if step.name == "distinct" and call.args:
            return Unsupported("`distinct(*columns)` (PostgreSQL DISTINCT ON) is deprecated on `select()` in "
                               "SQLAlchemy 2.1; rewrite with `sqlalchemy.dialects.postgresql.distinct_on`")
        if step.name == "populate_existing":
            if call.args:
                return Unsupported("`populate_existing()` with arguments")
            return Link(".execution_options", ("populate_existing=True",), comments)
        return Link("." + RENAMED.get(step.name, step.name), Verbatim(call), comments)

    def _join_problem(self, call: cst.Call) -> str | None:
        positional = [a for a in call.args if a.keyword is None]
        keywords = {a.keyword.value for a in call.args if a.keyword is not None}
        if any(a.star for a in call.args) or not 1 <= len(positional) <= 2 or keywords - JOIN_KEYWORDS:
            return "a 1.x form of `join()` (several targets, `aliased=`, `from_joinpoint=`); rewrite by hand"
        if isinstance(positional[0].value, cst.BaseString):
            return "`join()` by relationship name (a string) was removed in 2.0; use the class-bound attribute"
        return None

    def _filter_by(self, step: Step, done: Sequence[Step], history: History,
                   comments: tuple[str, ...]) -> Link | Unsupported:
        args = step.call.args
        if len(args) == 1 and args[0].star == "**":
            history_steps = [*history.earlier_steps, *done]
            if any(s.name in JOINS or s.name == "select_from" for s in history_steps) or len(history.origin_args) != 1:
                return Unsupported("`filter_by(**...)` with several FROM entities: SQLAlchemy 2.1 searches every "
                                   "entity and the keys are not known here")
            return Link(".filter_by", Verbatim(step.call), comments)
        if any(arg.keyword is None for arg in args):
            return Unsupported("`filter_by()` mixing `**` with keywords")
        entity = self._filter_by_entity(done, history)
        if isinstance(entity, Unsupported):
            return entity
        pieces: list[Piece] = []
        for index, arg in enumerate(args):
            if index:
                pieces.append(", ")
            pieces += [entity, f".{arg.keyword.value}"]
            value = arg.value
            if isinstance(value, cst.Name) and value.value == "None":
                pieces.append(".is_(None)")
            elif isinstance(value, LOOSE):
                pieces += [" == (", value, ")"]
            else:
                pieces += [" == ", value]
        return Link(".where", tuple(pieces), comments)

    def _filter_by_entity(self, done: Sequence[Step], history: History) -> cst.BaseExpression | Unsupported:
        """The entity legacy `filter_by()` binds to: the last join target, else select_from(), else entity zero."""
        for step in reversed(done):
            if step.name in JOINS:
                return self.join_target(step)
        if history.join_target is not None:
            return history.join_target
        history_steps = [*history.earlier_steps, *done]
        for step in history_steps:
            if step.name == "select_from":
                target = step.call.args[0].value if step.call.args else None
                if isinstance(target, (cst.Name, cst.Attribute)) and _names_entity(target, self.resolve):
                    return target
                return Unsupported("`filter_by()` after `select_from()` of something that is not a mapped class")
        entities = history.origin_args
        for step in reversed(history_steps):
            if step.name == "with_entities":
                entities = step.call.args
                break
        first = entities[0].value if entities else None
        if isinstance(first, (cst.Name, cst.Attribute)) and _names_entity(first, self.resolve):
            return first
        if isinstance(first, cst.Attribute) and isinstance(first.value, (cst.Name, cst.Attribute)) \
                and _names_entity(first.value, self.resolve):
            return first.value
        return Unsupported("cannot tell which entity `filter_by()` refers to")

    def join_target(self, step: Step) -> cst.BaseExpression | Unsupported:
        target = step.call.args[0].value
        if isinstance(target, (cst.Name, cst.Attribute)) and _names_entity(target, self.resolve):
            return target
        related = self.joined_class(target)
        if isinstance(related, cst.BaseExpression):
            return related
        if isinstance(related, str):
            return Unsupported(f"`filter_by()` after `{step.name}({self.code(target)})`: {related}")
        return Unsupported(f"`filter_by()` after `{step.name}({self.code(target)})`: the joined class is not "
                           "named in the source")

    # -- shape --------------------------------------------------------------------------------
    def _selection(self, origin_args: Sequence[cst.Arg], steps: Sequence[Step],
                   earlier: Sequence[Step]) -> Selection | Unsupported:
        selection = classify(origin_args, self.resolve, self.code)
        for step in [*earlier, *steps]:
            if step.name == "with_entities":
                selection = classify(step.call.args, self.resolve, self.code)
            elif step.name in ("add_columns", "add_entity"):
                added = classify(step.call.args, self.resolve, self.code)
                if isinstance(added, Unsupported) or isinstance(selection, Unsupported):
                    return added if isinstance(added, Unsupported) else selection
                if step.name == "add_entity":
                    added = Selection(tuple((expr, Kind.ENTITY) for expr, _ in added.exprs))
                selection = Selection(selection.exprs + added.exprs)
        return selection

    def _finish(self, chain: Chain, history: History, selection: Selection | Unsupported) -> Finish | Unsupported:
        use = chain.use
        kind = use.kind
        steps = [*history.earlier_steps, *chain.steps]
        if kind in ("assign", "embed", "statement", "pass", "return"):
            return Finish(kind)
        if kind in ("exists", "scalar_subquery", "as_scalar", "count", "all", "first", "one", "one_or_none", "scalar"):
            if use.call is not None and use.call.args:
                return Unsupported(f"`{kind}()` with arguments")
        if kind in ("exists", "scalar_subquery", "as_scalar", "label", "cte"):
            return Finish(kind, call=use.call)
        if kind == "subquery":
            keywords = {a.keyword.value for a in use.call.args if a.keyword is not None}
            if len(use.call.args) > 1 or keywords - {"name"}:
                return Unsupported("`subquery(with_labels=..., reduce_columns=...)` has no `Select.subquery()` twin")
            return Finish(kind, call=use.call)
        if isinstance(selection, Unsupported):
            return selection
        unique = may_repeat_entities([selection], steps) or (bool(history.origin_args)
                                                              and history.origin_args[0] is RETURNED_REPEATING)
        if kind in FLASK_TERMINALS:
            return self._flask_finish(chain, history, selection, unique)
        if kind == "count":
            simple = self._simple_count(chain, history, selection)
            return Finish("count" if simple is None else "simple_count", history.session,
                          nodes=(simple,) if simple is not None else ())
        if kind in ("index", "slice"):
            bounds = self._bounds(use.subscript)
            if isinstance(bounds, Unsupported):
                return bounds
            # A function's returned query may limit its rows already: the index counts from there, like the
            # legacy Query's (`Select.slice()` is relative too).
            relative = any(s.name in ROW_LIMITING for s in steps) or returned_stand_in(history.origin_args)
            return Finish(kind, history.session, selection.single_entity, unique, relative, bounds)
        return Finish(kind, history.session, selection.single_entity, unique, call=use.call, around=use.around)

    def _flask_finish(self, chain: Chain, history: History, selection: Selection, unique: bool) -> Finish | Unsupported:
        """`first_or_404()`, `one_or_404()`, `paginate()`: the extension's methods take the first column of each
        row (`Result.scalar()`, `scalars()`), so the query must select one mapped class; they do not de-duplicate
        joined rows the way the legacy Query did (but `paginate()`, which calls `unique()`)."""
        kind = chain.use.kind
        if not selection.single_entity:
            return Unsupported(f"`db.{kind}()` returns one mapped object per row; this query selects columns or "
                               "several entities")
        if unique and kind != "paginate":
            return Unsupported(f"`db.{kind}()` does not de-duplicate rows the way the legacy Query did, and this "
                               "query may repeat an entity (joins or joined eager loads)")
        keywords = self._flask_keywords(chain, chain.use.call.args)
        if isinstance(keywords, Unsupported):
            return keywords
        return Finish(kind, history.session, True, unique, call=chain.use.call, keywords=keywords)

    def _simple_count(self, chain: Chain, history: History, selection: Selection) -> cst.BaseExpression | None:
        """`select(func.count()).select_from(Model).where(...)` counts exactly what the legacy subquery counts
        when nothing but criteria (and ordering, which a count ignores) is applied to one mapped class."""
        if history.earlier_steps or not chain.is_origin or chain.origin.returned or not selection.single_entity:
            return None
        entity = selection.exprs[0][0]
        if not isinstance(entity, (cst.Name, cst.Attribute)):
            return None
        if any(step.name not in ("filter", "where", "filter_by", "order_by") for step in chain.steps):
            return None
        if any(step.name == "filter_by" and step.call.args and step.call.args[0].star for step in chain.steps):
            return None
        return entity

    def _bounds(self, subscript: cst.Subscript) -> tuple[cst.CSTNode | None, ...] | Unsupported:
        element = subscript.slice[0].slice
        if isinstance(element, cst.Index):
            index = _literal_int(element.value)
            if index is None or index < 0:
                return Unsupported("indexing a query needs a non-negative integer literal")
            return (element.value,)
        assert isinstance(element, cst.Slice)
        if element.step is not None:
            return Unsupported("a slice with a step")
        lower, upper = element.lower, element.upper
        literal_lower = _literal_int(lower) if lower is not None else 0
        literal_upper = _literal_int(upper) if upper is not None else None
        if (literal_lower is not None and literal_lower < 0) or (literal_upper is not None and literal_upper < 0):
            return Unsupported("negative slice bounds raise IndexError on a legacy Query")
        if literal_lower is not None and literal_upper is not None and literal_upper <= literal_lower:
            return Unsupported("an empty slice")
        return (lower, upper)

    # -- get / bulk ---------------------------------------------------------------------------
    def _get(self, chain: Chain, history: History) -> Plan | Unsupported:
        call = chain.use.call
        kind = chain.use.kind
        if not chain.is_origin or len(history.origin_args) != 1 or history.origin_args[0].star:
            return Unsupported(f"`{kind}()` needs a query of exactly one mapped class")
        args = list(call.args)
        keywords: tuple = ()
        if kind == "get_or_404":
            found = self._flask_keywords(chain, args[1:])
            if isinstance(found, Unsupported):
                return found
            args, keywords = args[:1], found
        if len(args) != 1 or args[0].keyword is not None or args[0].star:
            return Unsupported(f"`{kind}()` with keyword or several arguments")
        options = [s for s in chain.steps if s.name == "options"]
        if len(options) != len(chain.steps) or len(options) > 1:
            return Unsupported(f"`{kind}()` after steps other than one `options()` (legacy `get()` ignores criteria)")
        if options and kind == "get_or_404":
            return Unsupported("`get_or_404()` after `options()`: `db.get_or_404()` takes no loader options")
        head: tuple[Piece, ...] = (history.origin_args[0].value,)
        nodes = (args[0].value, options[0].call if options else None)
        return Plan(Statement(head), Finish(kind, history.session, nodes=nodes, keywords=keywords))

    def _flask_keywords(self, chain: Chain, args) -> tuple[tuple[str, cst.BaseExpression], ...] | Unsupported:
        """The arguments of a Flask-SQLAlchemy terminal as the keywords the extension's method takes."""
        kind = chain.use.kind
        names = FLASK_KEYWORDS[kind]
        positional = PAGINATE_ARGUMENTS if kind == "paginate" else names
        found: list[tuple[str, cst.BaseExpression]] = []
        for index, arg in enumerate(args):
            if arg.star:
                return Unsupported(f"`{kind}()` with `*` arguments")
            name = arg.keyword.value if arg.keyword is not None else (
                positional[index] if index < len(positional) else None)
            if name not in names:
                return Unsupported(f"`{kind}()` with an argument the extension's method does not take")
            found.append((name, arg.value))
        return tuple(found)

    def _bulk(self, chain: Chain, history: History) -> Plan | Unsupported:
        kind = chain.use.kind
        call = chain.use.call
        if not chain.is_origin or len(history.origin_args) != 1 or history.origin_args[0].star:
            return Unsupported(f"bulk `{kind}()` on a query held in a variable or of several entities; convert by hand")
        extra = [s.name for s in chain.steps if s.name not in CRITERIA_STEPS]
        if extra:
            return Unsupported(f"bulk `{kind}()` after `{extra[0]}()`; only criteria carry over to `{kind}()`")
        args = list(call.args)
        keywords = {a.keyword.value: a.value for a in args if a.keyword is not None}
        positional = [a.value for a in args if a.keyword is None and not a.star]
        names = ("values", "synchronize_session") if kind == "update" else ("synchronize_session",)
        if any(a.star for a in args) or set(keywords) - set(names) or len(positional) > len(names):
            return Unsupported(f"bulk `{kind}()` with `{kind}_args` or unusual arguments; convert by hand")
        given = dict(zip(names, positional)) | keywords
        if kind == "update" and "values" not in given:
            return Unsupported("bulk `update()` without values")
        links = self._links(chain.steps, History(history.session, history.origin_args))
        if isinstance(links, Unsupported):
            return links
        tail: list[Link] = []
        if kind == "update":
            tail.append(Link(".values", (given["values"],)))
        if "synchronize_session" in given:
            tail.append(Link(".execution_options", ("synchronize_session=", given["synchronize_session"])))
        statement = Statement(Link(Spelled(kind), (history.origin_args[0].value,)), links + tuple(tail),
                              trailing_comments=tuple(_dot_comments(chain.use.node, chain)))
        return Plan(statement, Finish(kind, history.session, discarded=chain.use.discarded), frozenset({kind}))


def _foldable_with_entities(steps: Sequence[Step]) -> int | None:
    """`select(X).where(c).with_only_columns(Y)` is `select(Y).where(c)`: nothing before it but criteria."""
    names = [step.name for step in steps]
    if names.count("with_entities") != 1:
        return None
    index = names.index("with_entities")
    if any(name not in CRITERIA_STEPS for name in names[:index]) or steps[index].call.args == ():
        return None
    return index


def _names_entity(expr: cst.BaseExpression, resolve: Resolver) -> bool:
    name = last_name(expr) or ""
    if class_like(name) or model_like(name):
        return True
    if isinstance(expr, cst.Name):
        bound = resolve(expr)
        return isinstance(bound, cst.Call) and last_name(bound.func) == "aliased"
    return False


def _literal_int(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(
        node.expression, cst.Integer
    ):
        return -int(node.expression.evaluated_value)
    return None


def _paren_comments(node: cst.CSTNode) -> list[str]:
    parens = [*getattr(node, "lpar", ()), *getattr(node, "rpar", ())]
    return comments_in(*parens)


def _dot_comments(use_node: cst.CSTNode, chain: Chain) -> list[str]:
    """Comments before the terminal method (`# newest first` above `.all()`)."""
    call = chain.use.call
    if call is not None and isinstance(call.func, cst.Attribute) and chain.use.kind not in ("list",):
        return comments_in(call.func.dot)
    if chain.use.kind == "statement" and isinstance(use_node, cst.Attribute):
        return comments_in(use_node.dot)
    return []
