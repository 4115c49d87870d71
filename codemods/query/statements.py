"""What a query plan is made of: the statement, its finish and the history of its steps, and the legacy steps
that map onto `select()`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import libcst as cst

from .chain import FLASK_TERMINALS, Chain, Step, Unsupported
from .flask_models import FlaskDb


@dataclass(frozen=True)
class Spelled:
    """A name imported from `sqlalchemy` (`select`, `func`, `update`, `delete`), spelled as the module allows."""

    name: str


Piece = str | cst.CSTNode | Spelled


@dataclass(frozen=True)
class Verbatim:
    """The arguments of `call`, copied as written (comments and line breaks included)."""

    call: cst.Call


@dataclass(frozen=True)
class Link:
    """`.method(args)`; for the head of a statement `method` is a `Spelled` name and there is no dot."""

    method: str | Spelled
    args: Verbatim | tuple[Piece, ...] | Statement
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    head: Link | tuple[Piece, ...]
    links: tuple[Link, ...] = ()
    head_comments: tuple[str, ...] = ()
    trailing_comments: tuple[str, ...] = ()

    def extended(self, *links: Link) -> Statement:
        return replace(self, links=self.links + links)


@dataclass(frozen=True)
class Finish:
    """How the statement is used. `objects`: one mapped entity per row (use `scalars()`), else rows."""

    kind: str
    session: cst.BaseExpression | None = None
    objects: bool = False
    unique: bool = False
    relative_slice: bool = False
    nodes: tuple[cst.CSTNode | None, ...] = ()
    call: cst.Call | None = None
    around: cst.BaseExpression | None = None
    discarded: bool = False
    # Keyword arguments a Flask-SQLAlchemy terminal hands on (`description=`, `page=`, ...).
    keywords: tuple[tuple[str, cst.BaseExpression], ...] = ()

    @property
    def executes(self) -> bool:
        return self.session is not None


@dataclass(frozen=True)
class Plan:
    statement: Statement
    finish: Finish
    needs: frozenset[str] = field(default=frozenset())
    # The Flask-SQLAlchemy extension the query belongs to: `select`/`func` may be spelled `db.select`, and
    # its terminals become the extension's methods.
    flask: FlaskDb | None = None


@dataclass(frozen=True)
class History:
    """What happened to a query before the chain at hand (statements earlier in its flow)."""

    session: cst.BaseExpression
    origin_args: tuple[cst.Arg, ...]
    earlier_steps: tuple[Step, ...] = ()
    # The class `filter_by()` binds to after the joins of earlier statements (None: they made none).
    join_target: cst.BaseExpression | Unsupported | None = None
    flask: FlaskDb | None = None


ROW_LIMITING = frozenset({"limit", "offset", "slice"})
RENAMED = {"filter": "where", "with_entities": "with_only_columns", "add_entity": "add_columns"}
JOIN_KEYWORDS = frozenset({"isouter", "full"})
CRITERIA_STEPS = frozenset({"filter", "where", "filter_by"})
# Expressions that bind looser than `==` and need parentheses as its right operand.
LOOSE = (cst.BooleanOperation, cst.Comparison, cst.IfExp, cst.Lambda, cst.NamedExpr)


# A stand-in for the class a function's returned query selects, at the calls that finish it (returns.py):
# what the planner needs to choose `scalars()`; never written out, since everything that would write it is refused.
RETURNED_ENTITY = cst.Arg(cst.Name("ReturnedEntity"))
# The same for a function whose query may repeat its entity (a join): its callers de-duplicate (`.unique()`) where
# the legacy Query did.
RETURNED_REPEATING = cst.Arg(cst.Name("ReturnedEntity"))


def returned_stand_in(origin_args) -> bool:
    return bool(origin_args) and (origin_args[0] is RETURNED_ENTITY or origin_args[0] is RETURNED_REPEATING)
# What a caller may not do with a query a function returns: steps and terminals that need its class by name, and
# the extension's terminals (whether the pinned Flask-SQLAlchemy has them is not known where the callers are read).
RETURNED_REFUSED_STEPS = frozenset({"filter_by", "join", "outerjoin", "select_from", "with_entities", "add_columns",
                                    "add_entity"})
RETURNED_REFUSED_USES = frozenset({"get", "update", "delete", *FLASK_TERMINALS})


def returned_problem(chain: Chain) -> str | None:
    """Why a caller cannot finish a query a function returns this way (None: it can)."""
    step = next((s for s in chain.steps if s.name in RETURNED_REFUSED_STEPS), None)
    if step is not None:
        return (f"`{step.name}()` on the query a function returns needs the class it selects, which only the function "
                "names")
    if chain.use.kind in RETURNED_REFUSED_USES:
        return f"`{chain.use.kind}()` on the query a function returns is not converted with it"
    return None


# Legacy positional order of Flask-SQLAlchemy 2.x `Query.paginate()` (3.x takes keywords only).
PAGINATE_ARGUMENTS = ("page", "per_page", "error_out", "max_per_page")
FLASK_KEYWORDS = {"get_or_404": ("description",), "first_or_404": ("description",),
                  "one_or_404": ("description",), "paginate": (*PAGINATE_ARGUMENTS, "count")}
