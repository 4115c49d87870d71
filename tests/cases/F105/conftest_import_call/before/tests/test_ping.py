from app.services import ping


def test_ping(db):
    assert ping(db) == 1
