from sqlalchemy import text


def count_notes(db):
    return db.execute(text("SELECT count(*) FROM notes")).scalar()


def add_note(db, body):
    db.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})
    db.commit()
