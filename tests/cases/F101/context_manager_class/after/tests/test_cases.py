import pytest

from tests.cases.base import CaseBase
from tests.cases.case_units import UnitsCase
from tests.repos import Units


@pytest.mark.parametrize("case_type", [UnitsCase])
@pytest.mark.anyio
async def test_seeded_rows_are_listed(units: Units, case_type: type[CaseBase]):
    case = case_type(units)
    async with case:
        await case.seed()
        assert len(case.items) == 2
