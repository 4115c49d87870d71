"""The source line under a finding, with a caret line under its span (`--format full`)."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from ..findings import Finding
from ..source import read_source
from .colour import Palette


class SourceLines:
    """The lines of each reported file, read once (as they are on disk now) and decoded as Python does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        if path not in self._files:
            self._files[path] = self._read(path)
        lines = self._files[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, path: str) -> list[str] | None:
        try:
            content = read_source(self.root / path)
            encoding, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
            text = content.decode(encoding)
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
            return None  # the snippet is a courtesy: the finding's own line says everything needed
        return text.removeprefix("\ufeff").splitlines()


def snippet(finding: Finding, sources: SourceLines, palette: Palette) -> list[str]:
    """`NN | source line` and `   | ^^^^` under the finding's span (to the end of its first line), or
    nothing when the file cannot be read or has changed since the check."""
    source = sources.line(finding.path, finding.line)
    if source is None:
        return []
    start = min(finding.column - 1, len(source))
    end = finding.end_column - 1 if finding.end_line == finding.line else len(source.rstrip())
    end = max(start + 1, min(end, len(source)))
    number = str(finding.line)
    gutter = " " * len(number)
    # Tabs are expanded the same way in the line and before the carets, so the carets stay under the span.
    indent = len(source[:start].expandtabs())
    width = len(source[:end].expandtabs()) - indent
    return [
        palette.gutter(f"{gutter} |"),
        palette.gutter(f"{number} |") + " " + source.expandtabs(),
        palette.gutter(f"{gutter} |") + " " + " " * indent + palette.carets("^" * max(1, width)),
    ]
