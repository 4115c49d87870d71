def touch(db):
    db.commit()
