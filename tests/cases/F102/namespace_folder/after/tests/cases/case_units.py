# `tests/cases/` has no `__init__.py` but sits in the regular package `tests`: Python imports it as
# the namespace portion `tests.cases`, which is how this module names its base class.
from tests.cases.base import CaseBase


class UnitsCase(CaseBase):
    async def seed(self, item):
        return (await self.units.create(item)).id
