from functools import cached_property

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from sqlasync.compat import cached_per_instance

from app.owners import Owners

router = APIRouter()


class Report:
    def __init__(self, title: str):
        self.title = title
        self.lines: list[str] = []


class GroupController(Owners):
    # Built once per request: the handlers add to the same report.
    @cached_per_instance
    async def report(self) -> Report:
        return Report(f"report of {(await self.group()).name}")

    @cached_per_instance
    async def heading(self) -> str:
        return (await self.group()).name.upper()

    @cached_property
    def label(self) -> str:
        return f"group {self.group_id}"

    async def summary(self) -> list[str]:
        (await self.report()).lines.append(await self.heading())
        (await self.report()).lines.append(self.label)
        return (await self.report()).lines


@router.get("/groups/{group_id}/summary")
async def summary(group_id: int, db: Session = Depends()):
    return await GroupController(db, group_id).summary()
