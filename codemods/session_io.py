"""S: sync Session I/O that must be awaited (or moved) under AsyncSession."""

from __future__ import annotations

import libcst as cst

from .evidence import Kind, dotted_name
from .family import NO_REWRITE_YET, Family, Recogniser, session_hints
from .rule import Rule

SYNC_IO = Rule(
    code="S101",
    name="sync-session-io",
    family="session",
    summary="Session I/O call (`commit`, `execute`, `refresh`, ...) that is not awaited",
    why=(
        "On an `AsyncSession` these methods are coroutines: called without `await` they do nothing and "
        "Python only warns that a coroutine was never awaited. Each call must be awaited, which makes the "
        "enclosing function async in turn. `add`, `add_all`, `expunge` and `expire` do no I/O and stay as they are."
    ),
    before="def save(db: Session, job: Job) -> None:\n    db.add(job)\n    db.commit()\n    db.refresh(job)\n",
    after="async def save(db: AsyncSession, job: Job) -> None:\n    db.add(job)\n    await db.commit()\n    await db.refresh(job)\n",
)
SYNC_ANNOTATION = Rule(
    code="S102",
    name="sync-session-annotation",
    family="session",
    summary="`Session` type annotation (sqlalchemy.orm.Session)",
    why=(
        "A parameter or variable annotated with the sync `Session` tells readers and type checkers the wrong "
        "thing once the session is async, and FastAPI dependencies typed `Session` keep the sync path alive."
    ),
    before="from sqlalchemy.orm import Session\n\ndef list_jobs(db: Session = Depends(get_db)): ...\n",
    after="from sqlalchemy.ext.asyncio import AsyncSession\n\nasync def list_jobs(db: AsyncSession = Depends(get_db)): ...\n",
)
SYNC_BEGIN = Rule(
    code="S103",
    name="sync-session-begin",
    family="session",
    summary="`with session.begin():` / `begin_nested()` transaction block",
    why="`AsyncSession.begin()` returns an async context manager: a plain `with` fails at runtime.",
    before="with db.begin():\n    db.add(job)\n",
    after="async with db.begin():\n    db.add(job)\n",
)

IO_METHODS = frozenset(
    {"commit", "rollback", "flush", "refresh", "delete", "execute", "get", "merge", "scalar", "scalars",
     "close", "stream", "connection", "get_one"}
)
# Method names common outside SQLAlchemy: name-only evidence is not enough for these.
GENERIC_METHODS = frozenset({"get", "execute", "delete", "close", "scalar", "scalars", "stream", "connection",
                             "merge", "refresh"})


class SessionIORecogniser(Recogniser):
    rules = {r.code: r for r in (SYNC_IO, SYNC_ANNOTATION, SYNC_BEGIN)}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in IO_METHODS:
            return
        if isinstance(self.evidence.parent(node), cst.Await):
            return
        method = func.attr.value
        evidence = self.evidence.session(func.value, strong_name=method not in GENERIC_METHODS)
        if evidence is None or evidence.kind is Kind.ASYNC_SESSION:
            return
        if evidence.name_only and method in GENERIC_METHODS and not _plausible_session_call(method, node):
            return
        receiver = dotted_name(func.value) or "session"
        self.report("S101", node, f"`{receiver}.{method}()` is session I/O and must be awaited ({evidence.describe()})",
                    reason=NO_REWRITE_YET)

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self._report_sync_session_type(node.annotation, "annotated with")

    def visit_Module(self, node: cst.Module) -> None:
        for alias, value in self.evidence.aliases.items():
            self._report_sync_session_type(value, f"type alias `{alias}` wraps")

    def _report_sync_session_type(self, annotation: cst.BaseExpression, what: str) -> None:
        for part in self.evidence.annotation_parts(annotation):
            if self.evidence.is_sync_session_type(part):
                self.report("S102", annotation, f"{what} sync `{dotted_name(part)}`", reason=NO_REWRITE_YET)
                return

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            return
        for item in node.items:
            call = item.item
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                "begin", "begin_nested"
            ):
                evidence = self.evidence.session(call.func.value)
                if evidence is not None and evidence.kind is not Kind.ASYNC_SESSION:
                    self.report("S103", node, f"`with {dotted_name(call.func.value)}.{call.func.attr.value}()` "
                                f"must become `async with` ({evidence.describe()})", reason=NO_REWRITE_YET)


def _plausible_session_call(method: str, call: cst.Call) -> bool:
    """Shape checks for generic names: `db.get(Model, pk)`, `db.delete(obj)`, `db.execute(stmt)`."""
    positional = [a for a in call.args if a.keyword is None]
    if method == "get":
        first = dotted_name(positional[0].value) if positional else None
        return len(positional) >= 2 and bool(first) and first.split(".")[-1][:1].isupper()
    if method in ("delete", "merge", "refresh", "execute", "scalar", "scalars", "stream"):
        return len(positional) >= 1
    return True


FAMILY = Family(
    prefix="S",
    name="session",
    rules=(SYNC_IO, SYNC_ANNOTATION, SYNC_BEGIN),
    recogniser=SessionIORecogniser,
    triggers=lambda config: (
        (rb"\.\s*(?:" + b"|".join(m.encode() for m in sorted(IO_METHODS | {"begin", "begin_nested"})) + rb")\s*\(",
         session_hints(config)),
        (rb"\bSession\b",),
    ),
)
