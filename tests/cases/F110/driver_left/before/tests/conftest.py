import asyncio

import pytest


@pytest.fixture(scope="session")
def run():
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()
