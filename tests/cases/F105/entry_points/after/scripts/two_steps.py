from scripts.sessions import open_session


async def prepare(db):
    await db.execute("CREATE TABLE IF NOT EXISTS jobs (id INTEGER)")


async def fill(db):
    await db.execute("INSERT INTO jobs VALUES (1)")


if __name__ == "__main__":
    session = open_session()
    prepare(session)
    fill(session)
