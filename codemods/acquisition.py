"""D: how code gets hold of a session — by hand, from a service locator, or by draining `get_db()`."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from .evidence import Kind, dotted_name, string_value
from .family import NO_REWRITE_YET, Family, Recogniser, words
from .rule import Rule

BY_HAND = Rule(
    code="D101",
    name="session-created-by-hand",
    family="acquisition",
    summary="`SessionLocal()` called by hand",
    why=(
        "A session created by hand must be closed by hand on every path; forgotten `close()` calls leak pooled "
        "connections. Request handlers should receive the session from `Depends(get_db)`; scripts and jobs "
        "should use `async with SessionLocal() as db:` so it is always closed."
    ),
    before=(
        "@router.get(\"/jobs\")\n"
        "def list_jobs():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        return db.query(Job).all()\n"
        "    finally:\n"
        "        db.close()\n"
    ),
    after=(
        "@router.get(\"/jobs\")\n"
        "async def list_jobs(db: AsyncSession = Depends(get_db)):\n"
        "    return (await db.scalars(select(Job))).all()\n"
    ),
)
CONTAINER_RESOLVE = Rule(
    code="D102",
    name="container-resolve-session",
    family="acquisition",
    summary='`Container.resolve("db_session")` (service locator)',
    why=(
        "The service locator hands out a new session per call and nobody closes it: every request leaks a "
        "pooled connection until the pool is exhausted. Inject the session with `Depends(get_db)` instead."
    ),
    before='def get_items():\n    db = Container.resolve("db_session")\n    return db.query(Item).all()\n',
    after="async def get_items(db: AsyncSession = Depends(get_db)):\n    return (await db.scalars(select(Item))).all()\n",
)
NEXT_GET_DB = Rule(
    code="D103",
    name="next-get-db",
    family="acquisition",
    summary="`next(get_db())` drains a dependency generator by hand",
    why=(
        "`next(get_db())` runs the dependency up to its `yield` and never resumes it, so the `finally: "
        "db.close()` never runs and the session leaks."
    ),
    before="def main():\n    db = next(get_db())\n    print(db.query(Job).count())\n",
    after="async def main():\n    async with SessionLocal() as db:\n        print(await db.scalar(select(func.count()).select_from(Job)))\n",
)
REGISTER_FACTORY = Rule(
    code="D104",
    name="container-session-factory",
    family="acquisition",
    summary='`Container.register_factory("db_session", ...)`',
    why="Registering a session factory in the service locator is what makes the leaking `resolve()` calls possible.",
    before='Container.register_factory("db_session", lambda: SessionLocal())\n',
    after="# sessions come from `Depends(get_db)`; nothing is registered in the container\n",
)


class AcquisitionRecogniser(Recogniser):
    rules = {r.code: r for r in (BY_HAND, CONTAINER_RESOLVE, NEXT_GET_DB, REGISTER_FACTORY)}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("resolve", "register_factory") and node.args:
            key = string_value(node.args[0].value)
            if key in self.context.config.container_session_keys:
                code = "D102" if func.attr.value == "resolve" else "D104"
                self.report(code, node, f'`{dotted_name(func) or func.attr.value}("{key}")` '
                            + ("hands out a session nobody closes" if code == "D102" else "registers a leaking session factory"),
                            reason=NO_REWRITE_YET)
            return
        if dotted_name(func) == "next" and node.args and isinstance(node.args[0].value, cst.Call):
            inner = dotted_name(node.args[0].value.func)
            if inner and inner.split(".")[-1] in self.context.config.get_db_names:
                self.report("D103", node, f"`next({inner}())` never closes the session", reason=NO_REWRITE_YET)
            return
        kind = self.evidence.is_session_factory_call(node)
        if kind is not Kind.SYNC_SESSION or self._inside_get_db_generator(node) or self._registered_factory(node):
            return
        self.report("D101", node, f"`{dotted_name(func) or 'session factory'}()` creates a session by hand",
                    reason=NO_REWRITE_YET)

    def _registered_factory(self, node: cst.CSTNode) -> bool:
        """`register_factory("db_session", lambda: SessionLocal())` is one D104 site, not a D101 too."""
        current = self.evidence.parent(node)
        while current is not None:
            if isinstance(current, cst.Call) and m.matches(current.func, m.Attribute(attr=m.Name("register_factory"))):
                return bool(current.args) and string_value(current.args[0].value) in self.context.config.container_session_keys
            current = self.evidence.parent(current)
        return False

    def _inside_get_db_generator(self, node: cst.CSTNode) -> bool:
        """The factory call inside a sync `get_db` generator is E105's to convert, not a separate site."""
        function = self.evidence.enclosing(node, cst.FunctionDef)
        return (function is not None and function.asynchronous is None
                and function.name.value in self.context.config.get_db_names)


FAMILY = Family(
    prefix="D",
    name="acquisition",
    rules=(BY_HAND, CONTAINER_RESOLVE, NEXT_GET_DB, REGISTER_FACTORY),
    recogniser=AcquisitionRecogniser,
    triggers=lambda config: (
        (rb"\b(?:" + words(config.session_factories) + rb")\s*\(",),
        (rb"\bSession\s*\(",),
        (rb"sessionmaker",),
        (rb"\.(?:resolve|register_factory)\s*\(", words(config.container_session_keys)),
        (rb"\bnext\s*\(", words(config.get_db_names)),
    ),
)
