import pytest
import pytest_asyncio


async def place(db, order):
    db.add(order)
    await db.flush()
    return order


@pytest_asyncio.fixture
async def order(db):
    return await place(db, {"id": 1})


def test_order_is_placed(order):
    assert order == {"id": 1}
