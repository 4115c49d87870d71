from tests.cases.base import CaseBase


class UnitsCase(CaseBase):
    def seed(self) -> None:
        for name in ("gram", "litre"):
            self.items.append(self.units.create(name))

    def cleanup(self) -> None:
        for item in self.items:
            self.units.delete(item)
