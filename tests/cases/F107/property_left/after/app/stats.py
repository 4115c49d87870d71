from functools import cached_property

from sqlalchemy.orm import Session


class Report:
    def __init__(self, db: Session):
        self.db = db

    @property
    def unknown_reader(self) -> int:
        return self.db.scalar("SELECT 1")

    @property
    def with_setter(self) -> int:
        return self.db.scalar("SELECT 2")

    @with_setter.setter
    def with_setter(self, value: int) -> None:
        self.db.scalar("SELECT 3")

    @property
    def by_name(self) -> int:
        return self.db.scalar("SELECT 4")

    @property
    def on_class(self) -> int:
        return self.db.scalar("SELECT 5")

    @property
    def overridden(self) -> int:
        return self.db.scalar("SELECT 6")

    @property
    def in_generator(self) -> int:
        return self.db.scalar("SELECT 7")

    @property
    def called(self) -> int:
        return self.db.scalar("SELECT 8")

    @property
    def unread(self) -> int:
        return self.db.scalar("SELECT 9")

    # Deleting a cached_property's value resets its cache; an async method has no value to delete.
    @cached_property
    def reset(self) -> int:
        return self.db.scalar("SELECT 10")

    def refresh(self) -> int:
        del self.reset
        return self.reset


class CachedReport(Report):
    overridden = 0


def unknown(report):
    return report.unknown_reader


def typed(report: Report, name: str):
    report.with_setter = 1
    return report.by_name, getattr(report, "by_name"), report.overridden, report.called()


def totals(reports: list[Report]):
    return any(r.in_generator for r in reports), Report.on_class


async def show(report: Report):
    return report.on_class
