import pytest


def place(db, order):
    db.add(order)
    db.flush()
    return order


@pytest.fixture
def order(db):
    return place(db, {"id": 1})


def test_order_is_placed(order):
    assert order == {"id": 1}
