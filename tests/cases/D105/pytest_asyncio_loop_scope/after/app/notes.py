from sqlalchemy import text


async def count_notes(db):
    return (await db.execute(text("SELECT count(*) FROM notes"))).scalar()


async def add_note(db, body):
    await db.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})
    await db.commit()
