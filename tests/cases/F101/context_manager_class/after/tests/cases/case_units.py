from tests.cases.base import CaseBase


class UnitsCase(CaseBase):
    async def seed(self) -> None:
        for name in ("gram", "litre"):
            self.items.append(await self.units.create(name))

    async def cleanup(self) -> None:
        for item in self.items:
            await self.units.delete(item)
