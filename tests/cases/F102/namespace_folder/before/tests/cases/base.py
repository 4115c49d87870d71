from tests.repos import Units


class CaseBase:
    def __init__(self, units: Units) -> None:
        self.units = units
