from sqlalchemy import text

from app.sessions import session_context


async def purge():
    async with session_context() as session:
        await session.execute(text("DELETE FROM jobs"))
        await session.commit()


async def main():
    await purge()
