"""Differential test of the Q rewrite: random legacy Query chains against their conversions, on real databases.

Hypothesis writes a small function around a random but valid legacy chain (entities, joins,
criteria, eager loads, ordering, row limits, a terminal; sometimes a query kept in a variable
and extended in a branch). The function runs on a sync `Session`; the same source migrated
with `--target async` runs on an `AsyncSession` and migrated with `--target sync` on a
`Session`, against the same seeded data. Results must be identical: values, row shapes, order
where the chain orders totally, and the exceptions raised (NoResultFound, IndexError, ...).
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import ForeignKey, create_engine, func, inspect, or_
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, joinedload, mapped_column, relationship, selectinload

from sqlasync.analysis import migrate
from sqlasync.codemods.query import recogniser as query
from sqlasync.compat.urls import to_async_url, to_sync_url
from sqlasync.config import Config
from sqlasync.selection import Selection

# About a minute together on two cores; each example migrates twice and runs three times.
SQLITE_EXAMPLES = 150
POSTGRES_EXAMPLES = 80


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    age: Mapped[int]
    team: Mapped[str | None]
    tasks: Mapped[list[Task]] = relationship(back_populates="user", order_by="Task.id")


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str]
    status: Mapped[str]
    points: Mapped[int]
    user: Mapped[User] = relationship(back_populates="tasks")


USERS = [(1, "al", 41, "red"), (2, "bo", 25, "blue"), (3, "cy", 33, None), (4, "di", 25, "red"),
         (5, "ed", 52, "blue"), (6, "fa", 19, None)]
TASKS = [(1, 1, "plan", "open", 3), (2, 1, "draft", "done", 1), (3, 1, "ask", "open", 5), (4, 2, "plan", "done", 2),
         (5, 3, "map", "open", 3), (6, 3, "ask", "late", 8), (7, 4, "draft", "open", 1), (8, 4, "plan", "done", 3),
         (9, 4, "wash", "open", 2), (10, 5, "ask", "late", 5), (11, 1, "rest", "done", 2)]
NAMESPACE = {"User": User, "Task": Task, "func": func, "or_": or_, "selectinload": selectinload,
             "joinedload": joinedload, "state": inspect}


# -- chain generation -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A column set to query, the class it comes from, and whether rows are ORM objects."""

    entities: str
    primary: str
    selects_user: bool = False
    selects_task: bool = False
    columns: tuple[str, ...] = ()


SOURCES = [
    Source("User", "User", selects_user=True),
    Source("Task", "Task", selects_task=True),
    Source("User.name", "User", columns=("User.name",)),
    Source("User.team, User.age", "User", columns=("User.team", "User.age")),
    Source("Task.title, Task.points", "Task", columns=("Task.title", "Task.points")),
    Source("User, Task.title", "User", selects_user=True, columns=("Task.title",)),
]
JOINS = {
    "User": ["join(Task, Task.user_id == User.id)", "outerjoin(Task, Task.user_id == User.id)",
             "join(User.tasks)", "outerjoin(User.tasks)"],
    "Task": ["join(User, User.id == Task.user_id)", "join(Task.user)"],
}
CRITERIA = {
    "User": ["User.age > 30", "User.name != 'bo'", "User.team.is_(None)", "User.team == 'red'",
             "or_(User.age < 25, User.team == 'blue')"],
    "Task": ["Task.status == 'open'", "Task.points >= 3", "Task.title.like('%a%')"],
}
KEYWORDS = {"User": ["name='al'", "team='red'", "age=25"], "Task": ["status='done'", "points=3"]}
OPTIONS = {"User": ["selectinload(User.tasks)", "joinedload(User.tasks)"], "Task": ["joinedload(Task.user)"]}
OTHER = {"User": "Task", "Task": "User"}
ROW_TERMINALS = ["all()", "iterate", "list"]
ONE_TERMINALS = ["one()", "one_or_none()", "scalar()", "count()"]
ORDERED_TERMINALS = ["first()", "index", "slice", "variable_slice"]


@dataclass
class Case:
    source: str
    ordered: bool
    description: list[str] = field(default_factory=list)


@st.composite
def cases(draw) -> Case:
    kind = draw(st.sampled_from(["chain", "chain", "chain", "flow", "aggregate", "bulk", "scenario"]))
    if kind == "aggregate":
        return _aggregate(draw)
    if kind == "bulk":
        return _bulk(draw)
    if kind == "scenario":
        return Case(draw(st.sampled_from(SCENARIOS)), ordered=True)
    return _chain(draw, flow=kind == "flow")


def _chain(draw, flow: bool) -> Case:
    source = draw(st.sampled_from(SOURCES))
    primary = source.primary
    needs_join = "Task." in source.entities and primary == "User"
    tables = [primary]
    joins: list[str] = []
    if needs_join or draw(st.booleans()):
        join = draw(st.sampled_from(JOINS[primary][:2] if needs_join else JOINS[primary]))
        joins.append(join)
        tables.append(OTHER[primary])
    filters = [f"filter({draw(st.sampled_from(CRITERIA[t]))})" for t in tables for _ in range(draw(st.integers(0, 1)))]
    # filter_by binds to the last join target; only named classes can be resolved statically.
    keyword_target = OTHER[primary] if joins and "(" + OTHER[primary] + "," in joins[0] else (
        None if joins else primary)
    if keyword_target and draw(st.booleans()):
        filters.append(f"filter_by({draw(st.sampled_from(KEYWORDS[keyword_target]))})")
    options = []
    for selected, name in ((source.selects_user, "User"), (source.selects_task, "Task")):
        if selected and draw(st.booleans()):
            options.append(f"options({draw(st.sampled_from(OPTIONS[name]))})")
    distinct = ["distinct()"] if source.columns and not source.selects_user and draw(st.booleans()) else []
    ordered = draw(st.booleans())
    order: list[str] = []
    if ordered:
        if distinct:
            order = [f"order_by({', '.join(source.columns)})"]
        else:
            keys = [f"{t}.id" for t in tables]
            if draw(st.booleans()):
                keys.insert(0, draw(st.sampled_from([f"{primary}.{c}" for c in
                                                     (["age.desc()", "name"] if primary == "User" else ["points", "title"])])))
            order = [f"order_by({', '.join(keys)})"]
    terminals = ROW_TERMINALS + ONE_TERMINALS + (ORDERED_TERMINALS if ordered else [])
    terminal = draw(st.sampled_from(terminals))
    limits = []
    if ordered and terminal in ROW_TERMINALS + ["count()"] and draw(st.booleans()):
        limits = [draw(st.sampled_from(["limit(3)", "offset(2)", "limit(2).offset(1)", "slice(1, 4)"]))]
    steps = joins + filters + options + distinct + order + limits
    if not flow:
        body = f"return {_finish(f'db.query({source.entities})' + ''.join('.' + s for s in steps), terminal)}"
    else:
        head = [s for s in steps if s in joins]
        rest = [s for s in steps if s not in joins]
        branch = [s for s in rest if s.startswith("filter")]
        tail = [s for s in rest if s not in branch]
        lines = [f"q = db.query({source.entities})" + "".join("." + s for s in head)]
        if branch:
            lines += ["if flag:", "    q = q" + "".join("." + s for s in branch)]
        lines.append(f"return {_finish('q' + ''.join('.' + s for s in tail), terminal)}")
        body = "\n".join(lines)
    return Case(body, ordered and terminal not in ("count()",))


def _finish(chain: str, terminal: str) -> str:
    if terminal == "iterate":
        return f"[row for row in {chain}]"
    if terminal == "list":
        return f"list({chain})"
    if terminal == "index":
        return f"{chain}[1]"
    if terminal == "slice":
        return f"{chain}[1:3]"
    if terminal == "variable_slice":
        return f"{chain}[skip:skip + 2]"
    return f"{chain}.{terminal}"


def _aggregate(draw) -> Case:
    having = draw(st.sampled_from(["", ".having(func.count(Task.id) > 1)"]))
    ordered = draw(st.booleans())
    order = ".order_by(Task.status)" if ordered else ""
    terminal = draw(st.sampled_from(["all()", "count()", "one()", "scalar()", "list"] + (["first()"] if ordered else [])))
    chain = f"db.query(Task.status, func.count(Task.id)).group_by(Task.status){having}{order}"
    if draw(st.booleans()):
        chain = (f"db.query(User, func.count(Task.id)).outerjoin(Task, Task.user_id == User.id)"
                 f".group_by(User.id){'.order_by(User.id)' if ordered else ''}")
    return Case(f"return {_finish(chain, terminal)}", ordered)


def _bulk(draw) -> Case:
    criterion = draw(st.sampled_from(["filter(Task.status == 'open')", "filter_by(status='late')",
                                      "filter(Task.points > 2, Task.user_id != 3)"]))
    sync = draw(st.sampled_from(["", "synchronize_session=False", "synchronize_session='fetch'",
                                 "synchronize_session='evaluate'"]))
    if draw(st.booleans()):
        values = "{Task.points: Task.points + 1}" if draw(st.booleans()) else "{'status': 'moved'}"
        action = f"update({values}{', ' + sync if sync else ''})"
    else:
        action = f"delete({sync})"
    body = f"""\
        loaded = db.query(Task).order_by(Task.id).all()
        changed = db.query(Task).{criterion}.{action}
        in_memory = [(state(t).dict.get("status"), state(t).dict.get("points"), state(t).was_deleted) for t in loaded]
        stored = db.query(Task.id, Task.status, Task.points).order_by(Task.id).all()
        return changed, in_memory, stored"""
    return Case(textwrap.dedent(body), ordered=True)


SCENARIOS = [
    # a subquery joined back as an entity
    """\
sq = db.query(Task.user_id, func.count(Task.id).label("n")).group_by(Task.user_id).subquery()
return db.query(User.name, sq.c.n).join(sq, sq.c.user_id == User.id).order_by(User.id).all()""",
    # EXISTS in the columns clause
    """\
open_work = db.query(Task).filter(Task.status == "open", Task.points > 4)
return db.query(open_work.exists()).scalar()""",
    # a query embedded with in_()
    """\
return db.query(User).filter(User.id.in_(db.query(Task.user_id).filter(Task.status == "late"))).order_by(User.id).all()""",
    # get() by primary key, hit and miss, with options
    """\
return [db.query(User).get(2), db.query(User).options(selectinload(User.tasks)).get(99)]""",
    # with_entities changes the row shape
    """\
return db.query(User).filter(User.age > 20).with_entities(User.name, User.age).order_by(User.name).all()""",
    # a scalar subquery in the criteria
    """\
most = db.query(func.max(Task.points)).scalar_subquery()
return db.query(Task).filter(Task.points == most).order_by(Task.id).all()""",
    # count of a query with joined eager loading
    """\
return db.query(User).options(joinedload(User.tasks)).filter(User.age > 20).count()""",
    # filter_by after an explicit join binds to the join target
    """\
return db.query(User).join(Task, Task.user_id == User.id).filter_by(status="late").order_by(User.id).all()""",
    # iteration with tuple unpacking and attribute access
    """\
return [(name, row.age) for row in db.query(User.name, User.age).order_by(User.id) for name in [row.name]]""",
    # a CTE joined to an entity: users with several open tasks appear once
    """\
recent = db.query(Task.user_id).filter(Task.status == "open").cte("recent")
return db.query(User).join(recent, recent.c.user_id == User.id).order_by(User.id).all()""",
    # slicing and indexing a query that is already limited are relative to its window
    """\
window = db.query(User).order_by(User.id).offset(1)
return window[1:3], window.limit(3)[2], db.query(User.name).order_by(User.id)[4:]""",
    # more steps that keep their names
    """\
first = db.query(User).add_columns(User.name).order_by(User.id).first()
fresh = db.query(User).populate_existing().filter(User.id == 2).one()
options = db.query(Task).execution_options(populate_existing=True).filter(Task.points > 4).order_by(Task.id).all()
return first, fresh, options""",
    # an aggregate over an explicit FROM and a join
    """\
return db.query(func.sum(Task.points)).select_from(Task).join(User, User.id == Task.user_id).filter(User.team == "red").scalar()""",
    # a loop over classes
    """\
firsts = []
for model in (User, Task):
    firsts.append(db.query(model).order_by(model.id.desc()).first().id)
return firsts""",
    # a set and a dict built from query rows
    """\
return set(db.query(Task.status)), dict(db.query(User.name, User.age).filter(User.age > 30))""",
    # row locks (SQLite renders no FOR UPDATE; PostgreSQL does)
    """\
return db.query(Task).filter(Task.id == 3).with_for_update().one()""",
]


# -- running ---------------------------------------------------------------------------------------
def _function(body: str, asynchronous: bool) -> str:
    keyword = "async def" if asynchronous else "def"
    return f"{keyword} run(db, flag, skip):\n" + textwrap.indent(body, "    ") + "\n"


def _convert(source: str, target: str) -> str:
    result = migrate(source.encode(), "chain.py", Config(root=Path.cwd()), [query.FAMILY], Selection(), target)
    assert result.error is None, result.error
    assert not [f for f in result.left if f.code == "Q101"], (
        f"not converted for --target {target}:\n{source}\n" + "\n".join(f.reason or "" for f in result.left))
    assert result.updated is not None
    return result.updated.decode()


def _load(source: str):
    namespace = dict(NAMESPACE)
    exec(compile(source, "<chain>", "exec"), namespace)
    return namespace["run"]


def normalise(value, ordered: bool):
    if isinstance(value, Base):
        return (type(value).__name__, value.id)
    if isinstance(value, (Row, tuple)):
        return tuple(normalise(v, True) for v in value)
    if isinstance(value, list):
        items = [normalise(v, True) for v in value]
        return items if ordered else sorted(items, key=repr)
    if isinstance(value, (set, frozenset)):
        return sorted((normalise(v, True) for v in value), key=repr)
    if isinstance(value, dict):
        return sorted(((normalise(k, True), normalise(v, True)) for k, v in value.items()), key=repr)
    return value


def outcome(call, ordered: bool):
    try:
        return ("value", normalise(call(), ordered))
    except Exception as exc:  # noqa: BLE001 - the exception type is part of the observed behaviour
        return ("raised", type(exc).__name__)


@dataclass
class Databases:
    sync_url: str
    async_url: str
    loop: asyncio.AbstractEventLoop
    checked: int = 0

    def __post_init__(self) -> None:
        self.engine = create_engine(self.sync_url)
        Base.metadata.create_all(self.engine)
        with Session(self.engine) as session:
            session.add_all([User(id=i, name=n, age=a, team=t) for i, n, a, t in USERS])
            session.add_all([Task(id=i, user_id=u, title=t, status=s, points=p) for i, u, t, s, p in TASKS])
            session.commit()
        self.async_engine = self.loop.run_until_complete(self._async_engine())

    async def _async_engine(self):
        return create_async_engine(self.async_url)

    def run_sync(self, function, flag: bool):
        with Session(self.engine) as session:
            try:
                return function(session, flag, 1)
            finally:
                session.rollback()

    def run_async(self, function, flag: bool):
        async def go():
            async with AsyncSession(self.async_engine) as session:
                try:
                    return await function(session, flag, 1)
                finally:
                    await session.rollback()

        return self.loop.run_until_complete(go())

    def check(self, case: Case, flag: bool) -> None:
        legacy = _function(case.source, asynchronous=False)
        converted_sync = _convert(legacy, "sync")
        converted_async = _convert(_function(case.source, asynchronous=True), "async")
        expected = outcome(lambda: self.run_sync(_load(legacy), flag), case.ordered)
        got_sync = outcome(lambda: self.run_sync(_load(converted_sync), flag), case.ordered)
        got_async = outcome(lambda: self.run_async(_load(converted_async), flag), case.ordered)
        assert got_sync == expected, f"--target sync differs\n{legacy}\n{converted_sync}"
        assert got_async == expected, f"--target async differs\n{legacy}\n{converted_async}"
        self.checked += 1

    def close(self) -> None:
        self.engine.dispose()
        self.loop.run_until_complete(self.async_engine.dispose())
        self.loop.close()


@pytest.fixture
def sqlite_databases(tmp_path) -> Iterator[Databases]:
    databases = Databases(f"sqlite:///{tmp_path / 'chains.db'}", f"sqlite+aiosqlite:///{tmp_path / 'chains.db'}",
                          asyncio.new_event_loop())
    yield databases
    databases.close()


@pytest.fixture
def postgres_databases(postgres_url) -> Iterator[Databases]:
    databases = Databases(to_sync_url(postgres_url), to_async_url(postgres_url), asyncio.new_event_loop())
    yield databases
    databases.close()


# The legacy side calls Query.get() on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.LegacyAPIWarning")
SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def _report(databases: Databases, name: str, expected: int, record_property) -> None:
    print(f"\n{name}: {databases.checked} query chains checked against their conversions")
    record_property("chains_checked", databases.checked)
    assert databases.checked >= expected * 0.9


def test_conversions_match_legacy_results_on_sqlite(sqlite_databases, record_property) -> None:
    @settings(max_examples=SQLITE_EXAMPLES, **SETTINGS)
    @given(case=cases(), flag=st.booleans())
    def check(case: Case, flag: bool) -> None:
        sqlite_databases.check(case, flag)

    check()
    _report(sqlite_databases, "sqlite", SQLITE_EXAMPLES, record_property)


@pytest.mark.postgres
def test_conversions_match_legacy_results_on_postgresql(postgres_databases, record_property) -> None:
    @settings(max_examples=POSTGRES_EXAMPLES, **SETTINGS)
    @given(case=cases(), flag=st.booleans())
    def check(case: Case, flag: bool) -> None:
        postgres_databases.check(case, flag)

    check()
    _report(postgres_databases, "postgresql", POSTGRES_EXAMPLES, record_property)
