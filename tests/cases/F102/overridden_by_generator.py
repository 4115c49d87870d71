# expect: F101 F101 F101 F102 S101 S102
# before
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session


class Exporter:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Abstract: every exporter yields its items.
    def items(self) -> Iterator[str]: ...

    def export(self) -> list[str]:
        return [item.upper() for item in self.items()]


class RecipeExporter(Exporter):
    def items(self) -> Iterator[str]:
        for slug in ("a", "b"):
            yield self.session.execute(text("SELECT :slug"), {"slug": slug}).scalar_one()
# after
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Exporter:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Abstract: every exporter yields its items.
    async def items(self) -> Iterator[str]: ...

    async def export(self) -> list[str]:
        return [item.upper() async for item in self.items()]


class RecipeExporter(Exporter):
    async def items(self) -> Iterator[str]:
        for slug in ("a", "b"):
            yield (await self.session.execute(text("SELECT :slug"), {"slug": slug})).scalar_one()
