from abc import ABC, abstractmethod

from tests.repos import Units


class CaseBase(ABC):
    """Seeds rows for one test and removes them when the `with` block ends."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.items: list = []

    @abstractmethod
    async def seed(self) -> None: ...

    @abstractmethod
    async def cleanup(self) -> None: ...

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        await self.cleanup()
