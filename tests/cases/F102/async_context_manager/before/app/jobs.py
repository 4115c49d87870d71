from sqlalchemy import text

from app.sessions import session_context


def purge():
    with session_context() as session:
        session.execute(text("DELETE FROM jobs"))
        session.commit()


async def main():
    purge()
