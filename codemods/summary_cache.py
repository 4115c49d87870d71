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

from .coloring_scan import AttributeRead, CallSite, ClassFacts, FunctionFacts, ModuleFacts, Relationship, ValueUse
from .repo_index import FileSummary, ModuleLocation

# Bumped whenever a summary dataclass changes shape, so that old entries are never misread.
SUMMARY_FORMAT = 10
_TYPES = {cls.__name__: cls for cls in (AttributeRead, CallSite, ClassFacts, FunctionFacts, ModuleFacts, Relationship,
                                        ValueUse, FileSummary, ModuleLocation)}


class SummaryCache:
    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder / "summaries"
        self.salt = f"{SUMMARY_FORMAT}\0{salt}"

    def key(self, path: str, source: bytes) -> str:
        digest = hashlib.sha256(self.salt.encode())
        digest.update(path.encode() + b"\0")
        digest.update(source)
        return digest.hexdigest()

    def get(self, key: str) -> FileSummary | None:
        try:
            found = _decode(json.loads((self.folder / key[:2] / f"{key[2:]}.json").read_text(encoding="utf-8")))
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
                     compute: Callable[[list[tuple]], Iterable[FileSummary | None]]) -> list[FileSummary | None]:
    """Summaries of `items` (display, location, content, ...): read from `cache`, the rest computed and stored."""
    if cache is None:
        return list(compute(items))
    keys = [cache.key(f"{item[0]}\0{item[1]}", item[2]) for item in items]
    found = [cache.get(key) for key in keys]
    missing = [i for i, summary in enumerate(found) if summary is None]
    for i, summary in zip(missing, compute([items[i] for i in missing])):
        found[i] = summary
        if summary is not None:
            cache.put(keys[i], summary)
    return found


def _encode(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__d": type(value).__name__,
                **{f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"__t": [_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"__s": sorted((_encode(v) for v in value), key=json.dumps)}
    if isinstance(value, bytes):
        return {"__b": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__m": {k: _encode(v) for k, v in value.items()}}
        return {"__p": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__d" in value:
        cls = _TYPES[value["__d"]]
        return cls(**{k: _decode(v) for k, v in value.items() if k != "__d"})
    if "__t" in value:
        return tuple(_decode(v) for v in value["__t"])
    if "__s" in value:
        return frozenset(_decode(v) for v in value["__s"])
    if "__b" in value:
        return base64.b64decode(value["__b"])
    if "__m" in value:
        return {k: _decode(v) for k, v in value["__m"].items()}
    if "__p" in value:
        return {_decode(k): _decode(v) for k, v in value["__p"]}
    raise ValueError("unknown summary cache entry")
