import asyncio

import pytest


@pytest.fixture(scope="session")
def run():
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


def create(name, run):
    return run(make(name))


@pytest.fixture
def item(pool, run):
    return create("a", run)


def test_item(item, run, pool):
    assert run(count(pool)) == 1
