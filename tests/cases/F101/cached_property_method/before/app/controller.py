import functools
from functools import cached_property

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.owners import Owners

router = APIRouter()


class Report:
    def __init__(self, title: str):
        self.title = title
        self.lines: list[str] = []


class GroupController(Owners):
    # Built once per request: the handlers add to the same report.
    @cached_property
    def report(self) -> Report:
        return Report(f"report of {self.group.name}")

    @functools.cached_property
    def heading(self) -> str:
        return self.group.name.upper()

    @cached_property
    def label(self) -> str:
        return f"group {self.group_id}"

    def summary(self) -> list[str]:
        self.report.lines.append(self.heading)
        self.report.lines.append(self.label)
        return self.report.lines


@router.get("/groups/{group_id}/summary")
def summary(group_id: int, db: Session = Depends()):
    return GroupController(db, group_id).summary()
