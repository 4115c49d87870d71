"""What E101-E104 read off engine and session-factory calls: the options the async engine cannot take, and
small readings of arguments and modules."""

from __future__ import annotations

from pathlib import PurePosixPath

import libcst as cst
from libcst.metadata import Assignment

from ..core.nodes import metadata_value


SYNC_TARGET = "the sync target keeps the sync engine, session factory and dependency as they are"
# psycopg2 / pymysql connect() arguments the async drivers do not take.
SYNC_ONLY_CONNECT_ARGS = frozenset(
    {"sslmode", "connect_timeout", "options", "application_name", "keepalives", "keepalives_idle",
     "keepalives_interval", "keepalives_count", "sslrootcert", "sslcert", "sslkey", "target_session_attrs",
     "cursorclass", "client_flag", "ssl_disabled", "read_timeout", "write_timeout"}
)
# Pool classes that only work on a sync engine, and their async counterparts (None: no counterpart).
SYNC_POOLS = {"QueuePool": "AsyncAdaptedQueuePool", "SingletonThreadPool": None, "AssertionPool": None}
# Engine options the rewrite must look at (or that have no async spelling): inside `**options` it cannot.
UNSHARED_ENGINE_OPTIONS = frozenset({"strategy", "convert_unicode", "encoding", "autocommit", "future", "poolclass",
                                     "connect_args", "creator", "module"})
DECLARATIVE_ATTRIBUTES = frozenset({"metadata", "type_annotation_map"})
CREATE_ALL_METHODS = ("create_all", "drop_all")


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword and a.keyword.value == name), None)


def _is_false(argument: cst.Arg) -> bool:
    return isinstance(argument.value, cst.Name) and argument.value.value == "False"


def _assignments(evidence, name: cst.Name) -> list[Assignment]:
    scope = metadata_value(evidence.scopes, name)
    if scope is None or name.value not in scope:
        return []
    return [a for a in scope[name.value] if isinstance(a, Assignment)]


def _is_module(path: PurePosixPath, module: str) -> bool:
    """Whether `path` is the source file of the dotted `module`."""
    parts = module.split(".")
    as_file = (*parts[:-1], parts[-1] + ".py")
    as_package = (*parts, "__init__.py")
    return path.parts[-len(as_file):] == as_file or path.parts[-len(as_package):] == as_package
