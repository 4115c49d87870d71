from app.models import User


async def add_user(db, name):
    user = User(name=name)
    db.add(user)
    await db.commit()
    return user
