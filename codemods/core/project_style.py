"""How the project being migrated lays out its code: the line length its tools enforce and its isort settings.

Read once per project root from the files those tools read there:
- line length: `[tool.black] line-length`, ruff's `line-length` / `lint.pycodestyle.max-line-length`
  (pyproject.toml, ruff.toml, .ruff.toml), flake8's `max-line-length` (.flake8, setup.cfg, tox.ini). When several
  are set the smallest wins, since each of those tools would complain about a longer line; 88 otherwise.
- import order: isort's own configuration when the project has one (isort finds it: `[tool.isort]`, .isort.cfg,
  setup.cfg, tox.ini, profiles included), else ruff's isort settings translated to isort's names, else isort's
  defaults. Either way the first-party packages are the ones found in the project root (and `src/`), as both
  tools do.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import isort
from isort.exceptions import ISortError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DEFAULT_LINE_LENGTH = 88

# ruff's `lint.isort` keys that mean the same as an isort setting (ruff documents them as isort's).
_RUFF_TO_ISORT = {
    "known-first-party": "known_first_party",
    "known-third-party": "known_third_party",
    "known-local-folder": "known_local_folder",
    "extra-standard-library": "extra_standard_library",
    "force-sort-within-sections": "force_sort_within_sections",
    "force-to-top": "force_to_top",
    "order-by-type": "order_by_type",
    "case-sensitive": "case_sensitive",
    "lines-between-types": "lines_between_types",
    "from-first": "from_first",
    "no-sections": "no_sections",
    "force-single-line": "force_single_line",
}
_RUFF_SECTIONS = {"future": "FUTURE", "standard-library": "STDLIB", "third-party": "THIRDPARTY",
                  "first-party": "FIRSTPARTY", "local-folder": "LOCALFOLDER"}


@dataclass(frozen=True)
class ProjectStyle:
    line_length: int
    isort: isort.Config


@lru_cache(maxsize=8)
def style_of(root: Path) -> ProjectStyle:
    if not root.is_dir():
        return ProjectStyle(DEFAULT_LINE_LENGTH, isort.Config(quiet=True, src_paths=()))
    pyproject = _toml(root / "pyproject.toml")
    ruff = _ruff_settings(root, pyproject)
    return ProjectStyle(_line_length(root, pyproject, ruff), _isort_config(root, pyproject, ruff))


def _line_length(root: Path, pyproject: dict, ruff: dict) -> int:
    lint = ruff.get("lint", ruff)
    candidates = [pyproject.get("tool", {}).get("black", {}).get("line-length"), ruff.get("line-length"),
                  lint.get("pycodestyle", {}).get("max-line-length")]
    for name in (".flake8", "setup.cfg", "tox.ini"):
        candidates.append(_ini(root / name).get("flake8", {}).get("max-line-length"))
    lengths = [int(value) for value in candidates if value is not None and str(value).strip().isdigit()]
    return min(lengths, default=DEFAULT_LINE_LENGTH)


def _isort_config(root: Path, pyproject: dict, ruff: dict) -> isort.Config:
    try:
        config = _configured_isort(root, pyproject, ruff)
        _ = config.known_patterns  # compiled when first asked: a pattern that is not one fails here, not per file
        return config
    except (ISortError, TypeError, ValueError, re.error):
        # Settings isort itself rejects (an unknown profile, a value of the wrong kind, a `known_*` entry that
        # is no pattern): its defaults.
        return isort.Config(directory=str(root), quiet=True)


def _configured_isort(root: Path, pyproject: dict, ruff: dict) -> isort.Config:
    if _has_isort_settings(root, pyproject):
        return isort.Config(settings_path=str(root), directory=str(root), quiet=True)
    lint = ruff.get("lint", ruff)
    settings = lint.get("isort", ruff.get("isort", {}))
    overrides = {_RUFF_TO_ISORT[key]: value for key, value in settings.items() if key in _RUFF_TO_ISORT}
    if "section-order" in settings:
        overrides["sections"] = tuple(_RUFF_SECTIONS[name] for name in settings["section-order"]
                                      if name in _RUFF_SECTIONS)
    if "src" in ruff:
        overrides["src_paths"] = tuple(str(root / path) for path in ruff["src"])
    return isort.Config(directory=str(root), quiet=True, **overrides)


def _has_isort_settings(root: Path, pyproject: dict) -> bool:
    if "isort" in pyproject.get("tool", {}) or (root / ".isort.cfg").is_file():
        return True
    return any({"isort", "tool:isort"} & set(_ini(root / name)) for name in ("setup.cfg", "tox.ini"))


def _ruff_settings(root: Path, pyproject: dict) -> dict:
    """ruff.toml and .ruff.toml take precedence over pyproject.toml, as for ruff itself."""
    for name in ("ruff.toml", ".ruff.toml"):
        if (root / name).is_file():
            return _toml(root / name)
    return pyproject.get("tool", {}).get("ruff", {})


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # A file the project's tools cannot read either sets nothing we could follow.
        return {}


def _ini(path: Path) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return {}
    return {section: dict(parser[section]) for section in parser.sections()}
