"""Colour for the text report: on a terminal only, as NO_COLOR and FORCE_COLOR say (https://no-color.org)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TextIO

RESET = "\x1b[0m"
BOLD, RED, CYAN, BLUE = "\x1b[1m", "\x1b[1;31m", "\x1b[36m", "\x1b[34m"


def colour_wanted(stream: TextIO, environ=os.environ) -> bool:
    """NO_COLOR (set and not empty) wins over FORCE_COLOR, which wins over whether `stream` is a terminal."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Palette:
    """Wraps report text in ANSI colours, or leaves it as it is when colour is off."""

    enabled: bool = False

    def _paint(self, style: str, text: str) -> str:
        return f"{style}{text}{RESET}" if self.enabled and text else text

    def location(self, text: str) -> str:
        return self._paint(BOLD, text)

    def code(self, text: str) -> str:
        return self._paint(RED, text)

    def gutter(self, text: str) -> str:
        return self._paint(BLUE, text)

    def carets(self, text: str) -> str:
        return self._paint(RED, text)

    def note(self, text: str) -> str:
        return self._paint(CYAN, text)
