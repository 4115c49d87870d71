"""The rules of family F for relationship loading and expiry under asyncio (F201-F205)."""

from __future__ import annotations

from ..core.rule import Rule
from .rules import FAMILY


LAZY_LOAD = Rule(
    code="F201", name="relationship-lazy-load", family=FAMILY,
    summary="relationship read on an ORM object in async code: an implicit lazy load (MissingGreenlet)",
    why=(
        "Under `AsyncSession` an unloaded relationship cannot be loaded implicitly on attribute access: it raises "
        "`MissingGreenlet`. Load it with the statement that loads the object (`selectinload`), or await it "
        "explicitly through `AsyncAttrs` (`await obj.awaitable_attrs.rel`). An object returned from an `async "
        "with SessionLocal() as db:` block leaves it detached: a relationship not loaded when the block closes "
        "cannot be loaded at all (`DetachedInstanceError`), so a response model or a `@property` that reads it "
        "afterwards fails. The sync code often got away with it because its session was never closed."
    ),
    before=(
        "from sqlalchemy import ForeignKey, select\n"
        "from sqlalchemy.ext.asyncio import AsyncAttrs\n"
        "from sqlalchemy.orm import DeclarativeBase, relationship\n"
        "\n"
        "\n"
        "class Base(AsyncAttrs, DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
        "\n"
        "\n"
        "async def clip_titles(db, job_id):\n"
        "    job = (await db.scalars(select(Job).where(Job.job_id == job_id))).one()\n"
        "    return [clip.title for clip in job.clips]\n"
    ),
    after=(
        "from sqlalchemy import ForeignKey, select\n"
        "from sqlalchemy.ext.asyncio import AsyncAttrs\n"
        "from sqlalchemy.orm import DeclarativeBase, relationship, selectinload\n"
        "\n"
        "\n"
        "class Base(AsyncAttrs, DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
        "\n"
        "\n"
        "async def clip_titles(db, job_id):\n"
        "    job = (\n"
        "        await db.scalars(\n"
        "            select(Job).options(selectinload(Job.clips)).where(Job.job_id == job_id)\n"
        "        )\n"
        "    ).one()\n"
        "    return [clip.title for clip in job.clips]\n"
    ),
    fixable=True,
    fix_notes=(
        "Relationships are those the repository's models declare (`relationship(...)`), without an eager `lazy=` "
        "strategy. Reads in functions that are async after migration on objects whose class sqlasync can infer "
        "(annotations, query results, loops, fixtures, other relationships) count, unless the relationship was "
        "eager-loaded by the statement or function the object came from, or assigned first. When the object comes "
        "from a statement in the same function (`select(M)`, `db.query(M)`, `db.get(M, pk)`), the statement gains "
        "`.options(selectinload(M.rel))` (`options=[...]` for `get`); otherwise the read becomes "
        "`await obj.awaitable_attrs.rel` (the target of `obj.rel += more` cannot be an `await`: the relationship is "
        "loaded by `await obj.awaitable_attrs.rel` on the line before), which needs the models' declarative base to include `AsyncAttrs` (F202). "
        "Objects whose class cannot be inferred are not reported: sqlasync cannot prove they are ORM objects. "
        "Objects a function returns are followed too, because their readers are elsewhere. Returned from a "
        "session block (`async with <factory>() as db:`), every lazy relationship of the class that the "
        "repository reads is loaded before the block closes: on instances anywhere (`obj.rel` or "
        "`await obj.awaitable_attrs.rel`), in the class's own methods and properties, or as a field of a pydantic "
        "model (directly, or through a property that reads it) that could be validated from the class: not one "
        "that requires a field the class does not have, such as a response built by hand whose `clips` field "
        "only shares the relationship's name. Which callers get the object is not followed, so "
        "this may load more than a given caller needs; it never loads a relationship nothing reads. A single "
        "object gets `await db.refresh(obj, [\"rel\", ...])` after the block's last `commit()`/`refresh(obj)` "
        "(else right before the return, or at the end of the block; a return on one line with an `if` is reported "
        "with the reason); a statement's result returned as it is gets "
        "`selectinload` on that statement. A statement's result returned from a function that does not close the "
        "session gets `selectinload` for what pydantic models and properties read (readers that can await are "
        "fixed where they read). Not followed yet: `yield`, and sessions closed by hand (`db.close()`)."
    ),
)
ASYNC_ATTRS = Rule(
    code="F202", name="declarative-base-async-attrs", family=FAMILY,
    summary="declarative base without `AsyncAttrs` whose models have lazily loaded relationships",
    why="`await obj.awaitable_attrs.rel` (the async way to load a relationship on access) needs the `AsyncAttrs` "
        "mixin on the models' declarative base.",
    before=(
        "from sqlalchemy.orm import DeclarativeBase, relationship\n"
        "\n"
        "\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
    ),
    after=(
        "from sqlalchemy.ext.asyncio import AsyncAttrs\n"
        "from sqlalchemy.orm import DeclarativeBase, relationship\n"
        "\n"
        "\n"
        "class Base(AsyncAttrs, DeclarativeBase):\n"
        "    pass\n"
        "\n"
        "\n"
        "class Job(Base):\n"
        '    __tablename__ = "jobs"\n'
        '    clips = relationship("Clip")\n'
    ),
    fixable=True,
    fix_notes="Reported on a `DeclarativeBase` subclass (after the E rules converted `declarative_base()`) whose "
              "models declare at least one relationship without an eager loading strategy.",
)
EXPIRE_ON_COMMIT = Rule(
    code="F203", name="expire-on-commit", family=FAMILY,
    summary="async session factory that expires objects on commit",
    why=(
        "With `expire_on_commit=True` (the default) every object is expired by `commit()`, and reading any of its "
        "attributes afterwards is implicit I/O, which raises `MissingGreenlet` under asyncio. Objects returned after "
        "a commit (`return job` in a route) are the common case."
    ),
    before=(
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "\n"
        "SessionLocal = async_sessionmaker(engine)\n"
    ),
    after=(
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "\n"
        "SessionLocal = async_sessionmaker(engine, expire_on_commit=False)\n"
    ),
    fixable=True,
    fix_notes="`expire_on_commit=False` is added. A factory that sets `expire_on_commit=True` on purpose is reported "
              "instead: each object used after `commit()` then needs `await db.refresh(obj)` first.",
)

REFRESH_AFTER_ROLLBACK = Rule(
    code="F204", name="refresh-after-rollback", family=FAMILY,
    summary="ORM object read after `rollback()` or `expire_all()` expired it",
    why=(
        "`rollback()` and `expire_all()` expire every object in the session, whatever `expire_on_commit` says. The "
        "legacy code reloaded an expired attribute on its next read; under asyncio that read raises `MissingGreenlet`. "
        "Refreshing the object right after the rollback does the same reload, explicitly."
    ),
    before=(
        "from sqlalchemy.orm import DeclarativeBase\n"
        "\n"
        "\n"
        "class Job(DeclarativeBase):\n"
        '    __tablename__ = "jobs"\n'
        "\n"
        "\n"
        "async def fail(db, job_id):\n"
        "    job = await db.get(Job, job_id)\n"
        "    await db.rollback()\n"
        '    job.status = "failed"\n'
        "    return job.job_id\n"
    ),
    after=(
        "from sqlalchemy.orm import DeclarativeBase\n"
        "\n"
        "\n"
        "class Job(DeclarativeBase):\n"
        '    __tablename__ = "jobs"\n'
        "\n"
        "\n"
        "async def fail(db, job_id):\n"
        "    job = await db.get(Job, job_id)\n"
        "    await db.rollback()\n"
        "    await db.refresh(job)\n"
        '    job.status = "failed"\n'
        "    return job.job_id\n"
    ),
    fixable=True,
    fix_notes="Objects of the repository's mapped classes that were loaded (not constructed) before the rollback and "
              "are read after it, in functions that are async after migration.",
)

VALIDATE_IN_GREENLET = Rule(
    code="F205", name="validate-orm-object-in-greenlet", family=FAMILY,
    summary="pydantic validation of an ORM object in async code, which may lazy load what the schema reads",
    why=(
        "`Schema.model_validate(obj)` (`from_orm` in pydantic 1) reads every field of the schema as an attribute of "
        "`obj`. The legacy code loaded any relationship not loaded yet on that read; under an `AsyncSession` it raises "
        "`MissingGreenlet`. Which relationships the schema reads is often only known at run time (a generic "
        "repository's `self.schema`), so no eager load can be written for it. `AsyncSession.run_sync` runs sync code "
        "in a greenlet where such loads work."
    ),
    before=(
        "async def create(self, data: dict) -> Schema:\n"
        "    item = self.model(**data)\n"
        "    self.session.add(item)\n"
        "    await self.session.commit()\n"
        "    return self.schema.model_validate(item)\n"
    ),
    after=(
        "async def create(self, data: dict) -> Schema:\n"
        "    item = self.model(**data)\n"
        "    self.session.add(item)\n"
        "    await self.session.commit()\n"
        "    return await self.session.run_sync(lambda _: self.schema.model_validate(item))\n"
    ),
    fixable=True,
    fix_notes=(
        "Judged only where the function itself has the object from a session: a statement's result (also through a "
        "loop or a comprehension over it), an object it adds to or refreshes with the session (or one of the objects "
        "it hands to `add_all` or appends to a list it validates from), or an instance of a repository model with lazy relationships (also a generic "
        "repository's `self.model(...)` when a model the TypeVar's bound covers has them); validation of a dict or a "
        "request body is left alone. The session "
        "is the one the object came from, else the first the function uses; without one, or inside a lambda or a "
        "generator expression, the site is reported with the reason. Eager loading where the object is loaded "
        "(`selectinload`) does the same work in fewer round trips when you know what the schema reads."
    ),
)
