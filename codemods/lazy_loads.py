"""F201-F203: relationship loading under asyncio."""

from __future__ import annotations


def recognise(recogniser) -> None:
    return None


def owns(data: object) -> bool:
    return False


def plan(data: object, edits) -> None:
    return None
