from app.notes import count_notes


def test_no_notes(db):
    assert count_notes(db) == 0
