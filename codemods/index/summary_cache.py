"""On-disk cache of file summaries for the repository index, keyed by content, path and run settings.

A summary costs a prediction (the other families' rewrites) per file; a warm run reads it back
instead. Stored as JSON (never pickle: the cache folder lives in the user's repository), with
tuples, sets, bytes and the summary dataclasses tagged so that they come back as they were.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from .callables import CallableParam
from .facts import AttributeRead, CallSite, ClassFacts, FunctionFacts, ModuleFacts, Relationship, ValueUse
from .repo_index import FileSummary, ModuleLocation

# Bumped whenever a summary dataclass changes shape, so that old entries are never misread.
SUMMARY_FORMAT = 24
_TYPES = {cls.__name__: cls for cls in (AttributeRead, CallableParam, CallSite, ClassFacts, FunctionFacts, ModuleFacts,
                                        Relationship, ValueUse, FileSummary, ModuleLocation)}


def content_key(salt: str, path: str, source: bytes) -> str:
    """The digest a per-file cache entry is filed under: what the run depends on (salt), the file and its bytes."""
    digest = hashlib.sha256(salt.encode())
    digest.update(path.encode() + b"\0")
    digest.update(source)
    return digest.hexdigest()


class SummaryCache:
    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder / "summaries"
        self.salt = f"{SUMMARY_FORMAT}\0{salt}"

    def key(self, path: str, source: bytes) -> str:
        return content_key(self.salt, path, source)

    def get(self, key: str) -> FileSummary | None:
        try:
            found = json.loads((self.folder / key[:2] / f"{key[2:]}.json").read_text(encoding="utf-8"),
                               object_hook=_decoded)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return found if isinstance(found, FileSummary) else None

    def put(self, key: str, summary: FileSummary) -> None:
        target = self.folder / key[:2] / f"{key[2:]}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(_encode(summary), handle)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def cached_summaries(items: list[tuple], cache: SummaryCache | None,
                     compute: Callable[[list[tuple]], Iterable[FileSummary | None]],
                     root: Path | None = None) -> list[FileSummary | None]:
    """Summaries of `items` (display, location, content, ...): read from `cache`, the rest computed and stored.

    Where a file sits is part of the key relative to `root` (the project root): a copy of the project in
    another folder (plan's scratch copies, a CI runner that restores the cache folder) finds the same
    entries, and an entry found gets the location of the file as it is now."""
    if cache is None:
        return list(compute(items))
    keys = [cache.key(f"{item[0]}\0{portable(item[1], root)}", item[2]) for item in items]
    found = [cache.get(key) for key in keys]
    found = [summary if summary is None else dataclasses.replace(summary, location=item[1])
             for summary, item in zip(found, items)]
    missing = [i for i, summary in enumerate(found) if summary is None]
    for i, summary in zip(missing, compute([items[i] for i in missing])):
        found[i] = summary
        if summary is not None:
            cache.put(keys[i], summary)
    return found


def portable(location: ModuleLocation, root: Path | None) -> tuple[str, str, str]:
    """`location` with its source root relative to `root` (through `..` when outside it)."""
    source_root = location.source_root
    if root is not None:
        source_root = os.path.relpath(source_root, Path(root).absolute())
    return (location.module, location.package, Path(source_root).as_posix())


def _encode(value):
    """JSON for a summary: every object is tagged (`__d` a dataclass, `__t` a tuple, `__s` a frozenset, `__b`
    bytes, `__m` a mapping as key/value pairs), so that `json.loads` rebuilds it through one object hook;
    dataclass fields left at their defaults are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        encoded = {"__d": type(value).__name__}
        for f in dataclasses.fields(value):
            field_value = getattr(value, f.name)
            if not _is_default(f, field_value):
                encoded[f.name] = _encode(field_value)
        return encoded
    if isinstance(value, tuple):
        return {"__t": [_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"__s": sorted((_encode(v) for v in value), key=json.dumps)}
    if isinstance(value, bytes):
        return {"__b": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {"__m": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _is_default(f: dataclasses.Field, value) -> bool:
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return False
    return type(value) is type(default) and value == default


def _decoded(obj: dict):
    """The value a tagged JSON object stands for (json.loads' object hook: its members are decoded already)."""
    if "__d" in obj:
        cls = _TYPES[obj.pop("__d")]
        return cls(**obj)
    if "__t" in obj:
        return tuple(obj["__t"])
    if "__m" in obj:
        return dict(obj["__m"])
    if "__s" in obj:
        return frozenset(obj["__s"])
    if "__b" in obj:
        return base64.b64decode(obj["__b"])
    raise ValueError("unknown summary cache entry")
