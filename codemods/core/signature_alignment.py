"""Continuation lines of a signature aligned with `def name(` follow it when the function becomes `async def`.

    def fetch(session,               async def fetch(session,
              user_id):        ->                    user_id):

Only a function whose `def` line the migration changed is touched, and only the continuation lines that start
exactly under the first parameter of the sync head.
"""

from __future__ import annotations

from collections.abc import Set

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

_ASYNC = "async "


def signatures_realigned(updated: cst.Module, changed: Set[int]) -> cst.Module:
    wrapper = MetadataWrapper(updated, unsafe_skip_copy=True)
    return wrapper.module.visit(_Realign(wrapper.resolve(PositionProvider), changed))


class _Realign(cst.CSTTransformer):
    def __init__(self, positions, changed: Set[int]) -> None:
        super().__init__()
        self.positions = positions
        self.changed = changed

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        params = [*original.params.posonly_params, *original.params.params]
        head = self.positions[original.name].start
        if original.asynchronous is None or head.line not in self.changed or not params \
                or self.positions[params[0]].start.line != head.line:
            return updated
        # Where the first parameter would be without `async `, from the start of the line and from the `def`.
        column = self.positions[params[0]].start.column - len(_ASYNC)
        indent = head.column - len("async def ")
        return updated.with_changes(params=updated.params.visit(_Shift(column, column - indent)))


class _Shift(cst.CSTTransformer):
    """Each continuation line starting at the old column moves right by the width of `async `."""

    def __init__(self, column: int, column_in_block: int) -> None:
        super().__init__()
        self.column = column
        self.column_in_block = column_in_block

    def leave_ParenthesizedWhitespace(self, original: cst.ParenthesizedWhitespace,
                                      updated: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
        if len(updated.last_line.value) != (self.column_in_block if updated.indent else self.column):
            return updated
        return updated.with_changes(last_line=cst.SimpleWhitespace(updated.last_line.value + " " * len(_ASYNC)))
