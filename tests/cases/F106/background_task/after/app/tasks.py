from app.db import SessionLocal


async def refresh_stats(user_id):
    """Recount one user's jobs."""
    async with SessionLocal() as db:
        await db.execute(
            "UPDATE stats SET jobs = (SELECT count(*) FROM jobs WHERE user_id = :u)",
            {"u": user_id},
        )
        await db.commit()


async def notify(db, user_id, message):
    await db.execute("INSERT INTO notes VALUES (:u, :m)", {"u": user_id, "m": message})
    await db.commit()
