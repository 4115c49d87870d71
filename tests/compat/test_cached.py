"""compat.cached_per_instance: a cached property whose getter became async keeps its one-per-instance result."""

from __future__ import annotations

import asyncio
from types import ModuleType

import pytest
from sqlalchemy import event, func, select

from sqlasync.compat import Database, cached_per_instance


class JobReport:
    """Like a controller whose `cached_property` getter ran a query: now an async method, cached the same way."""

    def __init__(self, database: Database, legacy: ModuleType) -> None:
        self.database = database
        self.legacy = legacy
        self.failures_left = 0

    @cached_per_instance
    async def totals(self) -> dict[str, int]:
        if self.failures_left:
            self.failures_left -= 1
            raise LookupError("not yet")
        async with self.database.sessionmaker() as session:
            return {"jobs": await session.scalar(select(func.count()).select_from(self.legacy.Job))}


def _count_selects(database: Database) -> list[str]:
    statements: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    return statements


def test_the_getter_runs_once_per_instance_and_hands_out_the_same_object(
        db: Database, legacy: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    statements = _count_selects(db)
    first, second = JobReport(db, legacy), JobReport(db, legacy)

    async def read() -> None:
        totals = await first.totals()
        totals["jobs"] += 10  # mutated by the caller, as a cached service object would be
        assert await first.totals() is totals
        assert await first.totals() == {"jobs": 10}
        assert await second.totals() == {"jobs": 0}

    loop.run_until_complete(read())
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_the_cached_value_never_shadows_the_method_and_failures_are_not_cached(
        db: Database, legacy: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    report = JobReport(db, legacy)
    report.failures_left = 1
    with pytest.raises(LookupError):
        loop.run_until_complete(report.totals())
    assert loop.run_until_complete(report.totals()) == {"jobs": 0}
    assert callable(report.totals) and asyncio.iscoroutinefunction(JobReport.totals)
    assert JobReport.totals.__name__ == "totals" and "totals" not in vars(report)
