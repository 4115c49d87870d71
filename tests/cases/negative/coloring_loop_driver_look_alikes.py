"""Fixtures that look like loop drivers but are not: F110 reports none of them."""

import asyncio

import pytest


@pytest.fixture
def borrowed(event_loop):
    # The loop belongs to another fixture (pytest-asyncio's), which stays as it is.
    return event_loop.run_until_complete


@pytest.fixture(scope="session")
def loop():
    # The loop itself, not a driver: its users decide what to run on it.
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def runner():
    with asyncio.Runner() as runner:
        yield runner.run


def apply_all(run, items):
    # A parameter called like a driver, in no fixture's user.
    return [run(item) for item in items]
