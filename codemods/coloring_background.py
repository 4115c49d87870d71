"""F106: a request's session handed to `background_tasks.add_task(...)`."""

from __future__ import annotations


def recognise(recogniser) -> None:
    return None


def owns(data: object) -> bool:
    return False


def plan(data: object, edits) -> None:
    return None
