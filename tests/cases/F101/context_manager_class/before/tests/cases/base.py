from abc import ABC, abstractmethod

from tests.repos import Units


class CaseBase(ABC):
    """Seeds rows for one test and removes them when the `with` block ends."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.items: list = []

    @abstractmethod
    def seed(self) -> None: ...

    @abstractmethod
    def cleanup(self) -> None: ...

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.cleanup()
