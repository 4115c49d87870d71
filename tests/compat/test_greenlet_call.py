"""`greenlet_call`: `greenlet_spawn` semantics on reused greenlets (the asyncpg facade's checkout and checkin)."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from greenlet import getcurrent

from sqlasync.compat.concurrency import await_, greenlet_call

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def _run(coroutine):
    return asyncio.run(coroutine)


def test_await_inside_suspends_and_sees_the_callers_context_variables():
    async def main():
        request_id.set("r-1")

        def sync_code(delay: float) -> tuple[str, str]:
            before = request_id.get()
            await_(asyncio.sleep(delay))
            return before, await_(asyncio.sleep(0, result="slept"))

        return await greenlet_call(sync_code, 0.001)

    assert _run(main()) == ("r-1", "slept")


def test_one_greenlet_serves_consecutive_calls_and_survives_an_exception():
    async def main():
        first = await greenlet_call(getcurrent)

        def fail() -> None:
            await_(asyncio.sleep(0))
            raise LookupError("on purpose")

        with pytest.raises(LookupError, match="on purpose"):
            await greenlet_call(fail)
        return first, await greenlet_call(getcurrent), getcurrent()

    first, again, driver = _run(main())
    assert first is again and first is not driver
    assert first.gr_context is None  # an idle worker keeps no caller's context alive


def test_concurrent_calls_get_a_greenlet_each():
    async def main():
        inside = asyncio.Event()

        def wait_for_partner() -> object:
            worker = getcurrent()
            if not inside.is_set():
                inside.set()
                await_(asyncio.sleep(0.01))
            return worker

        return await asyncio.gather(greenlet_call(wait_for_partner), greenlet_call(wait_for_partner))

    first, second = _run(main())
    assert first is not second


def test_cancellation_reaches_the_sync_code_at_its_await_and_the_caller_after_it():
    seen: list[str] = []

    async def main():
        def long_io() -> None:
            try:
                await_(asyncio.sleep(10))
            except asyncio.CancelledError:
                seen.append("cancelled inside")
                raise

        task = asyncio.ensure_future(greenlet_call(long_io))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await greenlet_call(lambda: "still usable")

    assert _run(main()) == "still usable"
    assert seen == ["cancelled inside"]
