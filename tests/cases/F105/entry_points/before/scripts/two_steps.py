from scripts.sessions import open_session


def prepare(db):
    db.execute("CREATE TABLE IF NOT EXISTS jobs (id INTEGER)")


def fill(db):
    db.execute("INSERT INTO jobs VALUES (1)")


if __name__ == "__main__":
    session = open_session()
    prepare(session)
    fill(session)
