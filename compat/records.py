"""``asyncpg.Record``-alike rows for the emulated (non-PostgreSQL) facade.

Like asyncpg's records they are read-only, indexable by position, slice and
column name, iterate over values, and offer ``keys()``, ``values()``,
``items()``, ``get()``; ``dict(record)`` works; ``in`` tests column names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["Columns", "Record"]


class Columns:
    """The column names of one result, shared by all of its records."""

    __slots__ = ("names", "positions")

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        # A repeated name resolves to its first column, as in asyncpg.
        self.positions: dict[str, int] = {}
        for position, name in enumerate(self.names):
            self.positions.setdefault(name, position)


class Record:
    __slots__ = ("_values", "_columns", "_positions")

    def __init__(self, values: Sequence[Any], columns: Columns) -> None:
        self._values = tuple(values)
        self._columns = columns
        self._positions = columns.positions

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._positions[key]]
            except KeyError:
                raise KeyError(key) from None
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        position = self._positions.get(key)
        return default if position is None else self._values[position]

    def keys(self) -> Iterator[str]:
        return iter(self._columns.names)

    def values(self) -> Iterator[Any]:
        return iter(self._values)

    def items(self) -> Iterator[tuple[str, Any]]:
        return zip(self._columns.names, self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._positions

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return self._values == other._values
        if isinstance(other, tuple):
            return self._values == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        fields = " ".join(f"{name}={value!r}" for name, value in self.items())
        return f"<Record {fields}>" if fields else "<Record>"
