"""F108's constructor bridge runs: a model whose `__init__` queries with the session it is handed is built
through `call_legacy` once the caller's session is an AsyncSession: directly, through a decorator that wraps the
`__init__`, and through a generic repository's `type[Model]`; likewise a method of such a generic model that
queries (`item.update(session=...)`).

The golden case F108/constructor_does_io, migrated, on a real SQLite database (aiosqlite).
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from pathlib import Path

import pytest
from support.migrated_cases import migrated_app, sqlite_sessions

CASE = Path(__file__).parent / "cases" / "F108" / "constructor_does_io"


@pytest.fixture
def app_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    yield from migrated_app(CASE, tmp_path, monkeypatch, "models", "api")


def test_constructors_that_query_run_through_the_bridge(app_modules) -> None:
    models, api = app_modules

    async def scenario() -> None:
        engine, factory = await sqlite_sessions(models.Base.metadata)
        async with factory() as session:
            session.add_all([models.Group(id=7, name="default"), models.Group(id=8, name="other")])
            await session.commit()
        async with factory() as session:
            through_repository = await api.create_user("ann", db=session)
            directly = await api.create_user_directly("bob", db=session)
            invite = await api.create_invite("c0de", "default", db=session)
            moved = await api.create_user("cyd", db=session)
            assert await api.change_user(moved, "cyd", "other", db=session) == 8
            assert await api.change_users({moved: "cy"}, db=session) == ["cy"]
            tag = await api.create_tag("red", db=session)
        async with factory() as session:
            for user_id, name in ((through_repository, "ann"), (directly, "bob")):
                user = await session.get(models.User, user_id)
                assert (user.name, user.group_id) == (name, 7)
            assert (await session.get(models.Invite, invite)).group_id == 7
            assert (await session.get(models.Tag, tag)).label == "red"
            # The case is what it claims: handed the AsyncSession itself, the constructor's query is a coroutine
            # nobody awaits.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # (that coroutine, collected unawaited)
                with pytest.raises(AttributeError, match="coroutine"):
                    models.User(session, "eve")
                gc.collect()
        await engine.dispose()

    asyncio.run(scenario())
