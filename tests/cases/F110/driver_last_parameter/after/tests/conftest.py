import pytest


@pytest.fixture(scope="session")
def anyio_backend():
    # Migrated async tests and fixtures run on asyncio through the anyio pytest plugin.
    return "asyncio"


async def create(name):
    return await make(name)


@pytest.fixture
async def item(pool, anyio_backend):
    return await create("a")


@pytest.mark.anyio
async def test_item(item, pool):
    assert await count(pool) == 1
