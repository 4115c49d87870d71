from app.models import User


def add_user(db, name):
    user = User(name=name)
    db.add(user)
    db.commit()
    return user
