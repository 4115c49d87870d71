"""FastAPI route handlers: the functions whose sessions can come from `Depends(get_db)`."""

from __future__ import annotations

import libcst as cst

from ..core.await_sites import decorator_name
from ..core.evidence import ReceiverEvidence
from ..core.nodes import dotted_name

ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route",
                           "websocket"})
ROUTER_TYPES = frozenset({"fastapi.APIRouter", "fastapi.FastAPI", "fastapi.routing.APIRouter",
                          "fastapi.applications.FastAPI"})


def is_route_handler(evidence: ReceiverEvidence, function: cst.FunctionDef) -> bool:
    """Decorated with `@<router>.get(...)` (any HTTP method) where `<router>` is a FastAPI router or app:
    bound in this file from `APIRouter()`/`FastAPI()`, or conventionally named (`router`, `app`, `*_router`)."""
    for decorator in function.decorators:
        if not isinstance(decorator.decorator, cst.Call):
            continue
        name = decorator_name(decorator)
        owner, _, method = name.rpartition(".")
        if method in ROUTE_METHODS and owner and _is_router(evidence, owner):
            return True
    return False


def _is_router(evidence: ReceiverEvidence, owner: str) -> bool:
    last = owner.split(".")[-1]
    if last in ("app", "api", "router") or last.endswith("router"):
        return True
    for statement in evidence.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and any(
                    dotted_name(target.target) == owner for target in small.targets):
                return bool(evidence.qualified(small.value.func) & ROUTER_TYPES)
    return False
