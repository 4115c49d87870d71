"""`--select` / `--ignore`: rule codes or prefixes; the most specific selector wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class SelectionError(Exception):
    pass


def parse_selectors(values: Iterable[str] | None, known_codes: Iterable[str]) -> tuple[str, ...]:
    selectors: list[str] = []
    known = list(known_codes)
    for value in values or ():
        for selector in filter(None, (part.strip().upper() for part in value.split(","))):
            if selector != "ALL" and not any(code.startswith(selector) for code in known):
                raise SelectionError(f"unknown rule selector {selector!r} (see `sqlasync rules`)")
            selectors.append(selector)
    return tuple(selectors)


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __contains__(self, code: str) -> bool:
        rejected = _most_specific(code, self.ignore)
        if code.startswith(FILE_PROBLEM_PREFIX) and not self.select_names_file_problems():
            # A file that cannot be read or parsed is reported whatever rules are selected.
            return rejected is None
        chosen = _most_specific(code, self.select or ("ALL",))
        if chosen is None:
            return False
        return rejected is None or _specificity(chosen) > _specificity(rejected)

    def select_names_file_problems(self) -> bool:
        return any(s.startswith(FILE_PROBLEM_PREFIX) for s in self.select)


FILE_PROBLEM_PREFIX = "P"


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def _most_specific(code: str, selectors: tuple[str, ...]) -> str | None:
    matching = [s for s in selectors if s == "ALL" or code.startswith(s)]
    return max(matching, key=_specificity, default=None)
