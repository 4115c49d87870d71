from app.notes import count_notes


def test_no_notes(db):
    assert count_notes(db) == 0


def test_app_db(app_db):
    assert count_notes(app_db) == 0
